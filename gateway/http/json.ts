import type { Context } from "hono";
import { invalidRequest } from "../errors.js";

/** The request's JSON body, or a 400 `invalid_json` when it is not JSON. */
export async function readJsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw invalidRequest(
      "We could not parse the JSON body of your request. The body must be valid JSON with Content-Type: application/json.",
      null,
      "invalid_json",
    );
  }
}
