import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, apiRequest } from "./client";
import { useSession } from "./session";

/** How often live data is read again: the local network settles every few seconds. */
export const POLL_MS = 3_000;

/**
 * Reads a signed-in account endpoint (`/api/account/…`) and keeps it fresh; disabled until the wallet signs in.
 * A 401 (an expired session) forgets the session, which brings the sign-in button back.
 */
export function useAccountQuery<T>(path: string, { refetchInterval = POLL_MS }: { refetchInterval?: number } = {}) {
  const { session, expire } = useSession();
  return useQuery({
    queryKey: ["account", session?.account, path],
    enabled: Boolean(session),
    refetchInterval,
    queryFn: async ({ signal }) => {
      try {
        return await apiRequest<T>(path, { token: session?.token, signal });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) expire();
        throw error;
      }
    },
  });
}

/** Reads a public endpoint of the gateway and keeps it fresh. */
export function usePublicQuery<T>(
  path: string | null,
  { refetchInterval = POLL_MS }: { refetchInterval?: number | false } = {},
) {
  return useQuery({
    queryKey: ["public", path],
    enabled: path !== null,
    refetchInterval,
    queryFn: ({ signal }) => apiRequest<T>(path as string, { signal }),
  });
}

/** Reads everything again after a change (a new key, a deposit, a claim). */
export function useRefreshAll() {
  const client = useQueryClient();
  return () => client.invalidateQueries();
}
