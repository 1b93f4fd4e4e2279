/**
 * A browser wallet for headless Chromium, which has no extension: an EIP-1193 provider injected into every page
 * (`window.ethereum`, and announced by EIP-6963), whose requests go over a Playwright binding to this process. Here
 * it keeps a wallet's state (connected or not, its chain, the chains it knows), signs with a viem local account
 * (`personal_sign`, `eth_signTypedData_v4`, transactions signed here and sent raw) and passes reads to the real local
 * node. It speaks the protocol as extensions do: `wallet_requestPermissions`, error 4902 for a chain it does not
 * know, `wallet_addEthereumChain` (which switches), `chainChanged` and `accountsChanged` events.
 */
import type { BrowserContext } from "playwright-core";
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  hexToBigInt,
  http,
  isAddressEqual,
  numberToHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";

/** The wallet's EIP-6963 provider info (the dashboard lists it by `name`, with its `icon`). */
export const TEST_WALLET_INFO = {
  uuid: "5f1c2b8e-6a0d-4c3e-9d4b-0b8a1e7c2f11",
  name: "Basis Test Wallet",
  icon: `data:image/svg+xml,${encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2f6fed"/><path d="M4 4h5a2 2 0 0 1 0 4H4zm0 4h6a2 2 0 0 1 0 4H4z" fill="#fff"/></svg>',
  )}`,
  rdns: "dev.basis.testwallet",
} as const;

type RpcError = { code: number; message: string; data?: unknown };
/** What the binding answers the page: a result or an error, and events to emit first. */
type Answer = { result?: unknown; error?: RpcError; emit?: [string, unknown][] };

const BINDING = "__basisTestWallet";

/**
 * The provider in the page, as source text (a function would be serialized as the test runner compiled it). Each
 * request goes to the binding, which answers `{ result | error, emit }`: the events are emitted before it resolves.
 */
const PAGE_PROVIDER = `(() => {
  const info = ${JSON.stringify(TEST_WALLET_INFO)};
  const listeners = new Map();
  const emit = (event, data) => {
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try { listener(data); } catch (error) { console.error(error); }
    }
  };
  const provider = {
    async request({ method, params }) {
      const answer = await window[${JSON.stringify(BINDING)}](method, params ?? []);
      for (const [event, data] of answer.emit ?? []) emit(event, data);
      if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
      return answer.result;
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return provider;
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
  };
  window.ethereum = provider;
  const announce = () =>
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();`;

/** What a test reads and changes of the wallet. */
export type InjectedWallet = {
  address: Address;
  /** The chain the wallet is on now. */
  chainId(): number;
  connected(): boolean;
  /** Every method the page asked for, in order. */
  requests: string[];
  /** `wallet_addEthereumChain` parameters the page sent. */
  addedChains: { chainId: string; chainName?: string; rpcUrls?: string[] }[];
};

/**
 * Injects the wallet into every page of `context` (from the next navigation on).
 * @param p.rpcUrl the local node (chain 31337), which reads go to and transactions are sent to.
 * @param p.privateKey the key it signs with (one of Hardhat's, funded on the node).
 * @param p.chainId the chain it starts on; it knows only that one until the page adds 31337.
 */
export async function installInjectedWallet(
  context: BrowserContext,
  p: { rpcUrl: string; privateKey: Hex; chainId: number },
): Promise<InjectedWallet> {
  const account = privateKeyToAccount(p.privateKey);
  const node: Chain = { ...hardhat, rpcUrls: { default: { http: [p.rpcUrl] } } };
  const publicClient = createPublicClient({ chain: node, transport: http(p.rpcUrl) });
  const walletClient = createWalletClient({ account, chain: node, transport: http(p.rpcUrl) });
  const known = new Set([p.chainId]);
  let chainId = p.chainId;
  let connected = false;
  const wallet: InjectedWallet = {
    address: account.address,
    chainId: () => chainId,
    connected: () => connected,
    requests: [],
    addedChains: [],
  };

  const fail = (code: number, message: string): never => {
    throw Object.assign(new Error(message), { code });
  };
  const permissions = () => [
    { parentCapability: "eth_accounts", caveats: [{ type: "restrictReturnedAccounts", value: [account.address] }] },
  ];
  const mine = (address: unknown) => {
    if (!connected) fail(4100, "The site is not connected to this wallet.");
    if (typeof address !== "string" || !isAddressEqual(getAddress(address), account.address))
      fail(4100, `This wallet does not hold ${String(address)}.`);
  };
  const onNode = () => {
    if (chainId !== hardhat.id) fail(4901, `This test wallet reaches only chain ${hardhat.id}, not ${chainId}.`);
  };
  const switchTo = (id: number): Answer => {
    chainId = id;
    return { result: null, emit: [["chainChanged", numberToHex(id)]] };
  };

  async function handle(method: string, params: unknown[]): Promise<Answer> {
    switch (method) {
      case "eth_chainId":
        return { result: numberToHex(chainId) };
      case "net_version":
        return { result: String(chainId) };
      case "eth_accounts":
        return { result: connected ? [account.address] : [] };
      case "eth_requestAccounts":
        connected = true;
        return { result: [account.address] };
      case "wallet_requestPermissions":
        connected = true;
        return { result: permissions() };
      case "wallet_getPermissions":
        return { result: connected ? permissions() : [] };
      case "wallet_revokePermissions":
        connected = false;
        return { result: null, emit: [["accountsChanged", []]] };
      case "wallet_switchEthereumChain": {
        const id = Number((params[0] as { chainId: string }).chainId);
        if (!known.has(id)) fail(4902, `Unrecognized chain ID ${numberToHex(id)}. Try adding the chain first.`);
        return switchTo(id);
      }
      case "wallet_addEthereumChain": {
        const added = params[0] as InjectedWallet["addedChains"][number];
        wallet.addedChains.push(added);
        const id = Number(added.chainId);
        if (id !== hardhat.id) fail(4001, `This test wallet can add only chain ${hardhat.id}.`);
        known.add(id);
        return switchTo(id); // as extensions do: adding a chain asks to switch to it, and the user accepts
      }
      case "personal_sign": {
        const [data, address] = params as [Hex, Address];
        mine(address);
        return { result: await account.signMessage({ message: { raw: data } }) };
      }
      case "eth_signTypedData_v4": {
        const [address, json] = params as [Address, string];
        mine(address);
        const typed = JSON.parse(json);
        if (typed.domain?.chainId !== undefined && Number(typed.domain.chainId) !== chainId)
          fail(-32602, `The typed data's chainId ${typed.domain.chainId} is not the active chain ${chainId}.`);
        return { result: await account.signTypedData(typed) };
      }
      case "eth_sendTransaction": {
        const [tx] = params as [{ from: Address; to?: Address; data?: Hex; value?: Hex; gas?: Hex }];
        mine(tx.from);
        onNode();
        // Nonce, gas and fees filled from the node, the transaction signed here, then eth_sendRawTransaction.
        const hash = await walletClient.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? hexToBigInt(tx.value) : undefined,
          gas: tx.gas ? hexToBigInt(tx.gas) : undefined,
        });
        return { result: hash };
      }
      default:
        if (/^(eth_sign$|eth_signTransaction|wallet_)/.test(method)) fail(4200, `${method} is not supported.`);
        onNode();
        return { result: await publicClient.request({ method: method as never, params: params as never }) };
    }
  }

  await context.exposeFunction(BINDING, async (method: string, params: unknown[]): Promise<Answer> => {
    wallet.requests.push(method);
    try {
      return await handle(method, params);
    } catch (error) {
      // The innermost JSON-RPC error (a revert's code 3 and data), else the wallet's own, else an internal error.
      const e = error as {
        code?: number;
        shortMessage?: string;
        message: string;
        walk?(f: (e: unknown) => boolean): unknown;
      };
      const rpc = e.walk?.((inner) => typeof (inner as { code?: unknown }).code === "number") as
        | { code: number; shortMessage?: string; message: string; data?: unknown }
        | undefined;
      const source = rpc ?? e;
      return {
        error: {
          code: typeof source.code === "number" ? source.code : -32603,
          message: source.shortMessage ?? source.message,
          ...(rpc?.data !== undefined && { data: rpc.data }),
        },
      };
    }
  });
  await context.addInitScript(PAGE_PROVIDER);
  return wallet;
}
