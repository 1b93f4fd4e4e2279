import { useState } from "react";
import { useConnection, useDisconnect, useSwitchChain } from "wagmi";
import { useSession } from "../api/session";
import { useRuntimeConfig } from "../config/RuntimeConfigContext";
import { ConnectorList } from "./ConnectorList";
import { Hash } from "./Hash";
import { chainLabel } from "./WrongChain";

/** The header's wallet corner: connect, the account and its session, the chain check, disconnect. */
export function WalletMenu() {
  const { address, connector, chainId, status } = useConnection();
  const { chain } = useRuntimeConfig();
  const { session, signOut } = useSession();
  const disconnect = useDisconnect();
  const switchChain = useSwitchChain();
  const [open, setOpen] = useState(false);
  // The list unmounts as the wallet connects (its callbacks may never run): close it on any change of state.
  const [seen, setSeen] = useState(status);
  if (seen !== status) {
    setSeen(status);
    setOpen(false);
  }

  if (status !== "connected" || !address) {
    return (
      <div className="wallet">
        <button type="button" onClick={() => setOpen(!open)} data-testid="connect-wallet">
          {status === "connecting" || status === "reconnecting" ? "Connecting…" : "Connect wallet"}
        </button>
        {open && (
          <div className="wallet-popover">
            <ConnectorList />
          </div>
        )}
      </div>
    );
  }
  return (
    <div className="wallet" data-testid="wallet">
      {chainId !== chain.id && (
        <button
          type="button"
          className="warning"
          title={`Your wallet is on ${chainLabel(chainId ?? 0)}; this dashboard works on ${chain.name}.`}
          onClick={() => switchChain.mutate({ chainId: chain.id })}
          disabled={switchChain.isPending}
          data-testid="header-switch-chain"
        >
          Wrong network: switch to {chain.name}
        </button>
      )}
      <span className="wallet-account">
        <span className="muted">{connector?.name}</span>
        <Hash value={address} keep={4} />
        {session && <span className="badge ok">signed in</span>}
      </span>
      {session && (
        <button type="button" className="secondary" onClick={() => signOut()}>
          Sign out
        </button>
      )}
      <button type="button" className="secondary" onClick={() => disconnect.mutate()} data-testid="disconnect">
        Disconnect
      </button>
    </div>
  );
}
