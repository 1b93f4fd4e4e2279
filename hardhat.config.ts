import { createRequire } from "node:module";
import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatVerify from "@nomicfoundation/hardhat-verify";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import { configVariable, defineConfig } from "hardhat/config";

/**
 * The Solidity compiler is solcjs from the `solc` npm package, so builds never download a compiler.
 * Keep `SOLC_VERSION` equal to the installed `solc` package version.
 */
const SOLC_VERSION = "0.8.30";
const solcPath = createRequire(import.meta.url).resolve("solc/soljson.js");

/** `npm run test:deep` sets BASIS_DEEP=1: many more fuzz runs and deeper invariant campaigns. */
const deep = process.env.BASIS_DEEP === "1";

const compiler = {
  version: SOLC_VERSION,
  path: solcPath,
  settings: {
    evmVersion: "cancun",
    viaIR: true,
    optimizer: { enabled: true, runs: 10_000 },
  },
};

export default defineConfig({
  plugins: [
    hardhatMocha,
    hardhatViem,
    hardhatViemAssertions,
    hardhatNetworkHelpers,
    hardhatIgnitionViem,
    hardhatVerify,
    hardhatKeystore,
  ],
  solidity: {
    profiles: {
      default: compiler,
      production: compiler,
    },
  },
  paths: {
    sources: "contracts",
    tests: { mocha: "test", solidity: "contracts/test" },
  },
  test: {
    mocha: { timeout: 120_000 },
    solidity: {
      fsPermissions: { readFile: ["test/vectors/merkle.json"] },
      fuzz: { runs: deep ? 10_000 : 256, seed: "0x8a5e" },
      invariant: deep ? { runs: 64, depth: 500 } : { runs: 16, depth: 64 },
    },
  },
  networks: {
    // `hardhat node`'s network. `npm start` fixes its genesis time (BASIS_CHAIN_GENESIS_DATE) so that the chain it
    // journals replays to the same block hashes on the next start (scripts/start/chainJournal.ts).
    node: {
      type: "edr-simulated",
      ...(process.env.BASIS_CHAIN_GENESIS_DATE ? { initialDate: process.env.BASIS_CHAIN_GENESIS_DATE } : {}),
    },
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", chainType: "op", url: "http://127.0.0.1:8545" },
    baseSepolia: {
      type: "http",
      chainType: "op",
      chainId: 84532,
      url: configVariable("BASE_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    base: {
      type: "http",
      chainType: "op",
      chainId: 8453,
      url: configVariable("BASE_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
  verify: {
    etherscan: { apiKey: configVariable("BASESCAN_API_KEY") },
  },
});
