import { useCallback, useState } from "react";

/** The state of a user action: a transaction or an API call, with a line saying where it is. */
export type ActionState = { status: "idle" | "running" | "done" | "error"; message: string | null };

/** An error as one line for people: viem's and wagmi's short message when there is one. */
export function errorMessage(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string; details?: string };
  return e.shortMessage ?? e.message ?? String(error);
}

/**
 * Runs an async action once at a time and tracks it for the UI: `progress(text)` updates its line as steps go
 * (approving, depositing…), the value returned is the final line, a throw is the error line.
 */
export function useAction() {
  const [state, setState] = useState<ActionState>({ status: "idle", message: null });
  const run = useCallback(async (action: (progress: (message: string) => void) => Promise<string | undefined>) => {
    setState({ status: "running", message: null });
    try {
      const done = await action((message) => setState({ status: "running", message }));
      setState({ status: "done", message: done ?? null });
      return true;
    } catch (error) {
      setState({ status: "error", message: errorMessage(error) });
      return false;
    }
  }, []);
  return { ...state, running: state.status === "running", run };
}
