import { network } from "hardhat";
import { getAddress } from "viem";
import BasisLocal from "../../ignition/modules/BasisLocal.js";

/** One simulated chain for the test file that imports this module (created at top level: an async describe would register no tests). */
export const connection = await network.create();
export const { viem, ignition, networkHelpers } = connection;

/** Seconds a proposed reward root waits in the fixture. */
export const REWARD_TIMELOCK = 3_600n;

/** 1 credit = 10^18 base units. */
export const CREDIT = 10n ** 18n;

/**
 * Deploys the local stack through the real Ignition module, each role on its own account:
 * admin (also pauser and guardian), settler, attester, proposer, treasury; alice, bob and carol are
 * users holding 1,000,000 credits each.
 */
export async function deployBasis() {
  const [admin, settler, attester, proposer, treasury, alice, bob, carol] = await viem.getWalletClients();
  if (!admin || !settler || !attester || !proposer || !treasury || !alice || !bob || !carol) {
    throw new Error("the simulated network needs at least 8 accounts");
  }
  const { creditToken, creditVault, settlementRegistry, rewardDistributor } = await ignition.deploy(BasisLocal, {
    parameters: {
      BasisLocal: {
        admin: admin.account.address,
        settler: settler.account.address,
        attester: attester.account.address,
        proposer: proposer.account.address,
        treasury: treasury.account.address,
        rewardTimelock: REWARD_TIMELOCK,
      },
    },
  });
  for (const user of [alice, bob, carol]) {
    await creditToken.write.mint([user.account.address, 1_000_000n * CREDIT]);
  }
  return {
    creditToken,
    creditVault,
    settlementRegistry,
    rewardDistributor,
    admin,
    settler,
    attester,
    proposer,
    treasury,
    alice,
    bob,
    carol,
    publicClient: await viem.getPublicClient(),
  };
}

/** Snapshot-backed `deployBasis`: each test starts from the same fresh deployment. */
export function loadBasis() {
  return networkHelpers.loadFixture(deployBasis);
}

/** Checksummed address of a wallet client. */
export function addr(client: { account: { address: `0x${string}` } }) {
  return getAddress(client.account.address);
}
