import type { ReactNode } from "react";
import { useSession } from "../api/session";
import { ConnectorList } from "./ConnectorList";

/** Shows `children` once a wallet is connected; until then, the ways to connect one. */
export function WalletGate({ children, what }: { children: ReactNode; what: string }) {
  const { address } = useSession();
  if (address) return <>{children}</>;
  return (
    <div className="gate">
      <p>Connect a wallet to see {what}.</p>
      <ConnectorList />
    </div>
  );
}

/**
 * Shows `children` once the connected wallet has signed in to the gateway (Sign-In with Ethereum: a signed
 * message, no transaction); until then, the button that does it.
 */
export function SignInGate({ children, what }: { children: ReactNode; what: string }) {
  const { address, session, signIn, signingIn, error } = useSession();
  if (!address) return <WalletGate what={what}>{null}</WalletGate>;
  if (session) return <>{children}</>;
  return (
    <div className="gate">
      <p>Sign in with Ethereum to see {what}. Your wallet signs a message for this site: no transaction, no gas.</p>
      <button type="button" onClick={() => signIn()} disabled={signingIn} data-testid="sign-in">
        {signingIn ? "Waiting for the signature…" : "Sign in with Ethereum"}
      </button>
      {error && (
        <p className="action-status error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
