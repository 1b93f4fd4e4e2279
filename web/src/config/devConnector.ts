import { createConnector, mock } from "wagmi";
import type { DevAccount } from "./devAccounts";

const LAST_DEV_ACCOUNT = "basis.devAccount";

/**
 * A wallet with no extension for the local chain: wagmi's mock connector, which sends every request (transactions,
 * `personal_sign`, typed data) to the Hardhat node, where the dev accounts are unlocked and signed for by the node.
 * It reconnects after a reload when it was the last one connected.
 */
export function devAccountConnector(account: DevAccount) {
  const id = `dev-${account.index}`;
  const wasConnected = typeof localStorage !== "undefined" && localStorage.getItem(LAST_DEV_ACCOUNT) === id;
  const inner = mock({ accounts: [account.address], features: { reconnect: true, defaultConnected: wasConnected } });
  return createConnector((config) => {
    const connector = inner(config);
    return {
      ...connector,
      id,
      name: `Dev account #${account.index} (${account.role})`,
      type: "devAccount",
      async connect(parameters) {
        const result = await connector.connect.call(this, parameters);
        localStorage.setItem(LAST_DEV_ACCOUNT, id);
        return result;
      },
      async disconnect() {
        if (localStorage.getItem(LAST_DEV_ACCOUNT) === id) localStorage.removeItem(LAST_DEV_ACCOUNT);
        await connector.disconnect.call(this);
      },
    } as typeof connector;
  });
}
