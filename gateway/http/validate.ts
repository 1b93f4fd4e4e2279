import type { z } from "zod";
import { invalidRequest } from "../errors.js";

/** `messages.0.content` → `messages[0].content`, as OpenAI names parameters. */
export function paramName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, key) => {
    if (typeof key === "number") return `${name}[${key}]`;
    return name ? `${name}.${String(key)}` : String(key);
  }, "");
}

/**
 * Parses a request body against a strict schema; the first problem becomes a 400 naming the parameter.
 * @throws ApiError 400 `unknown_parameter` for an unrecognized key, `invalid_request` otherwise.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw invalidRequest("Invalid request body.");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const name = paramName([...issue.path, key]);
    throw invalidRequest(`Unrecognized request argument supplied: ${name}`, name, "unknown_parameter");
  }
  const name = paramName(issue.path);
  if (issue.code === "invalid_type" && issue.input === undefined) {
    throw invalidRequest(`Missing required parameter: '${name}'.`, name, "missing_required_parameter");
  }
  throw invalidRequest(`Invalid value for '${name || "body"}': ${issue.message}`, name || null, "invalid_value");
}
