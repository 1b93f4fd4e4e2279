import type { RuntimeConfig } from "./runtimeConfig";

/** Reads the runtime config from the dashboard's server. */
export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`);
  return (await response.json()) as RuntimeConfig;
}
