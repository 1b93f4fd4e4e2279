/**
 * The gateway's HTTP API, as the dashboard calls it: same origin (its server proxies `/api` and `/v1`), JSON in and
 * out, errors in the OpenAI envelope `{"error":{"message","type","param","code"}}` thrown as {@link ApiError}.
 */

/** An error answer of the gateway. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Options of {@link apiRequest}. */
export type ApiRequestOptions = {
  method?: "GET" | "POST" | "DELETE";
  /** A Sign-In with Ethereum session token, sent as `Authorization: Bearer`. */
  token?: string | null;
  body?: unknown;
  signal?: AbortSignal;
};

/**
 * Calls the gateway.
 * @throws ApiError with the status and the envelope's message and code.
 * @example const credits = await apiRequest<Credits>("/api/account/credits", { token })
 */
export async function apiRequest<T>(path: string, options: ApiRequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = (json as { error?: { message?: string; code?: string | null } } | null)?.error;
    throw new ApiError(
      response.status,
      error?.message ?? `${response.status} ${response.statusText}`,
      error?.code ?? null,
    );
  }
  return json as T;
}
