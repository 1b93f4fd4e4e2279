import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The dashboard's folder (`web/`). */
export const WEB_DIR = fileURLToPath(new URL("..", import.meta.url));
/** Where the built dashboard goes. */
export const DIST_DIR = join(WEB_DIR, "dist");

/** The newest modification time (ms) of the files the build reads: the sources, the shared ABIs, the lockfile. */
function newestSource(): number {
  const roots = [
    join(WEB_DIR, "src"),
    join(WEB_DIR, "index.html"),
    join(WEB_DIR, "vite.config.ts"),
    fileURLToPath(new URL("../../protocol/generated", import.meta.url)),
    // New dependencies (an upgrade) rebuild too.
    fileURLToPath(new URL("../../package-lock.json", import.meta.url)),
  ];
  let newest = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const root of roots) visit(root);
  return newest;
}

/** True when `web/dist` is missing or older than a source file. */
export function needsBuild(): boolean {
  const index = join(DIST_DIR, "index.html");
  return !existsSync(index) || statSync(index).mtimeMs < newestSource();
}

/**
 * Builds the dashboard with Vite into `web/dist` (`mode`: `auto` only when it is missing or stale).
 * @returns whether a build ran.
 */
export async function ensureBuilt(mode: "auto" | "always" | "never" = "auto"): Promise<boolean> {
  if (mode === "never" || (mode === "auto" && !needsBuild())) return false;
  // Vite builds React's development build when NODE_ENV says so (test runners set "test"): this is a server.
  process.env.NODE_ENV = "production";
  const { build } = await import("vite");
  await build({ configFile: join(WEB_DIR, "vite.config.ts"), logLevel: "error" });
  return true;
}
