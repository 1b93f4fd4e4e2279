import { createConfig, createStorage, http, injected } from "wagmi";
import { chainOf, rpcUrlOf } from "./chains";
import { DEV_ACCOUNTS } from "./devAccounts";
import { devAccountConnector } from "./devConnector";
import type { RuntimeConfig } from "./runtimeConfig";

/**
 * The wagmi config of a deployment: its one chain, reads over the dashboard's RPC proxy, and the connectors: the
 * browser's injected wallets (and any EIP-6963 wallet it announces), plus the dev accounts on the local chain.
 */
export function createWagmiConfig(config: RuntimeConfig) {
  const chain = chainOf(config);
  const local = config.chainId === 31337;
  return createConfig({
    chains: [chain],
    // `injected()` is `window.ethereum`; every wallet announcing itself by EIP-6963 gets a connector of its own
    // (multiInjectedProviderDiscovery), listed by its name and icon (see ConnectorList).
    connectors: [injected(), ...(local ? DEV_ACCOUNTS.map(devAccountConnector) : [])],
    multiInjectedProviderDiscovery: true,
    transports: { [chain.id]: http(rpcUrlOf(config), { batch: true }) },
    storage: createStorage({ storage: localStorage, key: `basis.${config.chainId}` }),
    pollingInterval: local ? 1_000 : 4_000,
  });
}

export type BasisWagmiConfig = ReturnType<typeof createWagmiConfig>;
