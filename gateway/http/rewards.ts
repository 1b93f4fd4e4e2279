import { Hono } from "hono";
import { isAddress } from "viem";
import { invalidRequest, notFound } from "../errors.js";
import type { AppEnv, HttpDeps } from "./context.js";

/**
 * `GET /rewards/:address`: a contributor's cumulative reward in the claimable root, what it claimed
 * on-chain, what it can claim now with the proof, and its amount in the root still pending.
 */
export function rewardRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  app.get("/rewards/:address", async (c) => {
    if (!deps.rewards) throw notFound("Rewards on this gateway");
    const address = c.req.param("address");
    if (!isAddress(address)) throw invalidRequest(`'${address}' is not an address.`, "address");
    const s = await deps.rewards.status(address);
    return c.json({
      account: s.account.toLowerCase(),
      cumulative: s.cumulative.toString(),
      claimed: s.claimed.toString(),
      claimable: s.claimable.toString(),
      proof: s.proof,
      root: s.root,
      pending: s.pending
        ? {
            root: s.pending.root,
            status: s.pending.status,
            cumulative: s.pending.cumulative.toString(),
            claimable_at: s.pending.validAt?.toISOString() ?? null,
          }
        : null,
    });
  });
  return app;
}
