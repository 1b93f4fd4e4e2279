import type { ActionState } from "../hooks/useAction";

/** The line under a form: what a running action is doing, what it did, or why it failed. */
export function ActionStatus({ state, testId }: { state: ActionState; testId?: string }) {
  if (!state.message) return null;
  return (
    <p
      className={`action-status ${state.status}`}
      role={state.status === "error" ? "alert" : "status"}
      data-testid={testId}
    >
      {state.message}
    </p>
  );
}
