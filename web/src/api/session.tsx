import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { Address } from "viem";
import { createSiweMessage } from "viem/siwe";
import { useConfig, useConnection } from "wagmi";
import { signMessage } from "wagmi/actions";
import { apiRequest } from "./client";

/** A Sign-In with Ethereum session of the gateway: a bearer token for `/api/account/*`, valid an hour. */
export type Session = { token: string; account: Address; expiresAt: string };

type SessionValue = {
  /** The connected wallet's address, if any. */
  address: Address | undefined;
  /** Its live session, if it signed in. */
  session: Session | null;
  signIn(): Promise<void>;
  signOut(): Promise<void>;
  /** Forgets a session the gateway refused (expired, signed out elsewhere). */
  expire(): void;
  signingIn: boolean;
  error: string | null;
};

const SessionContext = createContext<SessionValue | null>(null);
const storageKey = (address: string) => `basis.session.${address.toLowerCase()}`;

function stored(address: Address | undefined): Session | null {
  if (!address) return null;
  const raw = sessionStorage.getItem(storageKey(address));
  if (!raw) return null;
  const session = JSON.parse(raw) as Session;
  return Date.parse(session.expiresAt) > Date.now() + 30_000 ? session : null;
}

/**
 * Holds the connected wallet's gateway session. Signing in fetches a nonce, has the wallet sign an EIP-4361
 * message for this page's host (the gateway checks it against the host it is reached at: the dashboard's server
 * forwards it) and trades the signature for a token, kept in this tab's session storage.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const config = useConfig();
  const { address, chainId } = useConnection();
  const [session, setSession] = useState<Session | null>(() => stored(address));
  const [signingIn, setSigningIn] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setSession(stored(address));
    setError(null);
  }, [address]);

  const signIn = useCallback(async () => {
    if (!address || !chainId) return;
    setSigningIn(true);
    setError(null);
    try {
      const { nonce } = await apiRequest<{ nonce: string }>("/api/auth/nonce");
      const message = createSiweMessage({
        domain: window.location.host,
        address,
        statement: "Sign in to the Basis dashboard.",
        uri: window.location.origin,
        version: "1",
        chainId,
        nonce,
        issuedAt: new Date(),
      });
      const signature = await signMessage(config, { account: address, message });
      const answer = await apiRequest<{ token: string; account: Address; expires_at: string }>("/api/auth/verify", {
        method: "POST",
        body: { message, signature },
      });
      const next = { token: answer.token, account: address, expiresAt: answer.expires_at };
      sessionStorage.setItem(storageKey(address), JSON.stringify(next));
      setSession(next);
    } catch (e) {
      setError((e as { shortMessage?: string }).shortMessage ?? (e as Error).message);
    } finally {
      setSigningIn(false);
    }
  }, [address, chainId, config]);

  const expire = useCallback(() => {
    if (address) sessionStorage.removeItem(storageKey(address));
    setSession(null);
  }, [address]);

  const signOut = useCallback(async () => {
    if (session) await apiRequest("/api/auth/signout", { method: "POST", token: session.token }).catch(() => null);
    expire();
  }, [session, expire]);

  const value = useMemo(
    () => ({ address, session, signIn, signOut, expire, signingIn, error }),
    [address, session, signIn, signOut, expire, signingIn, error],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The connected wallet and its gateway session. */
export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
