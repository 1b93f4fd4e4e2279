import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "../../indexer/processes.js";

/** Debian's Chromium (`apt-get install chromium`): driven by playwright-core, no browser download. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a machine without outside network: nothing phones home, nothing waits on it. */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where `BASIS_SCREENSHOTS=1` writes the README's screenshots. */
export const SCREENSHOTS_DIR = join(REPO_ROOT, "docs/screenshots");

export type Browser = {
  page: Page;
  context: BrowserContext;
  /** The browser console's errors and the page's uncaught exceptions, for failure messages. */
  problems: string[];
  /** Saves `docs/screenshots/<name>.png` of the whole page when BASIS_SCREENSHOTS=1. */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
};

/** Launches headless Chromium with a fresh profile and opens one page. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "basis-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    timezoneId: "UTC",
    locale: "en-US",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  const shots = process.env.BASIS_SCREENSHOTS === "1";
  if (shots && !existsSync(SCREENSHOTS_DIR)) mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  return {
    page,
    context,
    problems,
    async screenshot(name) {
      if (shots) await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
