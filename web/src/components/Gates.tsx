import type { ReactNode } from "react";
import { useSession } from "../api/session";
import { ConnectorList } from "./ConnectorList";
import { useWrongChain, WrongChainNotice } from "./WrongChain";

/**
 * Shows `children` once a wallet is connected on the deployment's chain; until then, the ways to connect one, or the
 * notice that it is on another chain, with the switch.
 */
export function WalletGate({ children, what }: { children: ReactNode; what: string }) {
  const { address } = useSession();
  const wrongChain = useWrongChain();
  if (address && wrongChain) return <WrongChainNotice />;
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
 * message, no transaction); until then, the button that does it (after the switch, if the wallet is on another chain).
 */
export function SignInGate({ children, what }: { children: ReactNode; what: string }) {
  const { address, session, signIn, signingIn, error } = useSession();
  const wrongChain = useWrongChain();
  if (!address || wrongChain) return <WalletGate what={what}>{null}</WalletGate>;
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
