import { createContext, type ReactNode, useContext } from "react";
import type { Chain } from "viem";
import type { RuntimeConfig } from "./runtimeConfig";

type Value = RuntimeConfig & { chain: Chain };

const RuntimeConfigContext = createContext<Value | null>(null);

/** Makes the deployment's runtime config (and its chain) available to every component. */
export function RuntimeConfigProvider({ value, children }: { value: Value; children: ReactNode }) {
  return <RuntimeConfigContext.Provider value={value}>{children}</RuntimeConfigContext.Provider>;
}

/** The deployment the dashboard is serving: chain, contracts, gateway URL. */
export function useRuntimeConfig(): Value {
  const value = useContext(RuntimeConfigContext);
  if (!value) throw new Error("useRuntimeConfig outside RuntimeConfigProvider");
  return value;
}
