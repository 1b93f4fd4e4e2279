/**
 * What the dashboard's `POST /rpc` relays. The browser only reads through it (a wallet extension sends transactions
 * through its own RPC), so on a public chain only reads pass: the operator's RPC key is not an open relay for
 * anything else. On the local chain everything passes: the dev accounts sign through the node itself.
 */
export const READ_METHODS: ReadonlySet<string> = new Set([
  "eth_blockNumber",
  "eth_call",
  "eth_chainId",
  "eth_estimateGas",
  "eth_feeHistory",
  "eth_gasPrice",
  "eth_getBalance",
  "eth_getBlockByHash",
  "eth_getBlockByNumber",
  "eth_getCode",
  "eth_getLogs",
  "eth_getTransactionByHash",
  "eth_getTransactionCount",
  "eth_getTransactionReceipt",
  "eth_maxPriorityFeePerGas",
  "net_version",
]);

type RpcCall = { id?: unknown; method?: unknown };

/**
 * Checks a JSON-RPC request body (one call or a batch).
 * @param allowAll every method passes (the local chain).
 * @returns null when it may be relayed, or the JSON-RPC error answer to send instead.
 */
export function refuseRpc(body: string, { allowAll }: { allowAll: boolean }): object | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } };
  }
  const calls = (Array.isArray(parsed) ? parsed : [parsed]) as RpcCall[];
  if (calls.length === 0 || calls.some((c) => typeof c !== "object" || c === null || typeof c.method !== "string"))
    return { jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request" } };
  if (allowAll) return null;
  const refused = calls.find((c) => !READ_METHODS.has(c.method as string));
  if (!refused) return null;
  return {
    jsonrpc: "2.0",
    id: refused.id ?? null,
    error: { code: -32601, message: `${String(refused.method)} is not relayed by the dashboard (reads only)` },
  };
}
