/**
 * The one error hierarchy of the gateway. Every error reaches the client as the OpenAI envelope
 * `{"error":{"message","type","param","code"}}`, produced in one place (`app.onError`).
 */

/** The `type` field of the envelope, as OpenAI's SDKs read it. */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "insufficient_quota"
  | "api_error"
  | "service_unavailable";

/** An error the client caused or must know about, with its HTTP status and envelope fields. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    opts: { type: ErrorType; code?: string | null; param?: string | null; headers?: Record<string, string> },
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = opts.type;
    this.code = opts.code ?? null;
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }

  /** The OpenAI error envelope of this error. */
  toJSON() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: a parameter is missing, unknown, mistyped or out of range (`param` names it). */
export const invalidRequest = (message: string, param: string | null = null, code: string | null = "invalid_request") =>
  new ApiError(400, message, { type: "invalid_request_error", param, code });

/** 401: no API key, or an unknown or revoked one. Never echoes the key. */
export const unauthorized = (message = "Invalid or missing API key.") =>
  new ApiError(401, message, { type: "authentication_error", code: "invalid_api_key" });

/** 402: the account's available credits cannot cover the worst case of the request. */
export const insufficientCredits = (needed: bigint, available: bigint) =>
  new ApiError(
    402,
    `Insufficient credits: this request can cost up to ${needed} base units and ${available} are available.`,
    { type: "insufficient_quota", code: "insufficient_credits" },
  );

/** 403: the API key's budget for the period is spent. */
export const budgetExceeded = (remaining: bigint) =>
  new ApiError(403, `This API key's budget is exhausted for the period (${remaining} base units remain).`, {
    type: "permission_error",
    code: "budget_exceeded",
  });

/** 404 for an unknown model. */
export const modelNotFound = (model: string) =>
  new ApiError(404, `The model '${model}' does not exist.`, {
    type: "invalid_request_error",
    param: "model",
    code: "model_not_found",
  });

/** 404 for any other unknown resource. */
export const notFound = (what: string) =>
  new ApiError(404, `${what} not found.`, { type: "not_found_error", code: "not_found" });

/** 409: an Idempotency-Key reused with another body, or still running. */
export const idempotencyConflict = (message: string, retryAfterSeconds?: number) =>
  new ApiError(409, message, {
    type: "invalid_request_error",
    code: retryAfterSeconds === undefined ? "idempotency_key_reused" : "idempotency_in_progress",
    param: "Idempotency-Key",
    headers: retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
  });

/** 413: the body is over the limit (answered before parsing). */
export const payloadTooLarge = (limitBytes: number) =>
  new ApiError(413, `Request body is larger than ${limitBytes} bytes.`, {
    type: "invalid_request_error",
    code: "payload_too_large",
  });

/** 429 with Retry-After and x-ratelimit-* headers. */
export const rateLimited = (message: string, headers: Record<string, string>) =>
  new ApiError(429, message, { type: "rate_limit_error", code: "rate_limit_exceeded", headers });

/** 502: the backend failed after admission and before any output. */
export const badGateway = (message = "The inference backend failed.") =>
  new ApiError(502, message, { type: "api_error", code: "backend_error" });

/** 499 (nginx's convention): the client closed the request before any output; nobody reads this answer. */
export const clientClosed = () =>
  new ApiError(499, "The client closed the request before any output.", {
    type: "invalid_request_error",
    code: "client_closed",
  });

/** 503: nothing can serve the model now; never fabricated output. */
export const runtimePending = (model: string, retryAfterSeconds = 5) =>
  new ApiError(503, `No inference backend can serve '${model}' right now: the runtime is pending. Retry later.`, {
    type: "service_unavailable",
    code: "runtime_pending",
    headers: { "retry-after": String(retryAfterSeconds) },
  });

export const capacityExhausted = (model: string, waitedMs: number, retryAfterSeconds = 2) =>
  new ApiError(503, `Every worker serving '${model}' stayed busy for ${Math.round(waitedMs / 1000)} s. Retry later.`, {
    type: "service_unavailable",
    code: "capacity_exhausted",
    headers: { "retry-after": String(retryAfterSeconds) },
  });

/** The envelope of any thrown value: ApiErrors as they are, anything else as an opaque 500. */
export function errorEnvelope(error: unknown) {
  if (error instanceof ApiError) return error.toJSON();
  return {
    error: {
      message: "The server had an error while processing your request.",
      type: "api_error",
      param: null,
      code: null,
    },
  };
}
