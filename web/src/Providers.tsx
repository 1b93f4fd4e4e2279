import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { WagmiProvider } from "wagmi";
import { SessionProvider } from "./api/session";
import { chainOf } from "./config/chains";
import { RuntimeConfigProvider } from "./config/RuntimeConfigContext";
import type { RuntimeConfig } from "./config/runtimeConfig";
import { createWagmiConfig } from "./config/wagmi";

/** Everything the pages read from: the deployment, wagmi (chain and wallets), queries, the gateway session. */
export function Providers({ config, children }: { config: RuntimeConfig; children: ReactNode }) {
  const [wagmi] = useState(() => createWagmiConfig(config));
  const [queries] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 1_000 } } }));
  const [runtime] = useState(() => ({ ...config, chain: chainOf(config) }));
  return (
    <RuntimeConfigProvider value={runtime}>
      <WagmiProvider config={wagmi}>
        <QueryClientProvider client={queries}>
          <SessionProvider>{children}</SessionProvider>
        </QueryClientProvider>
      </WagmiProvider>
    </RuntimeConfigProvider>
  );
}
