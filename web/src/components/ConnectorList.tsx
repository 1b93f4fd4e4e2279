import { type Connector, useConnect, useConnectors } from "wagmi";
import { errorMessage } from "../hooks/useAction";

const hasInjectedProvider = () => typeof window !== "undefined" && "ethereum" in window && Boolean(window.ethereum);

/**
 * The ways to connect: wallets the browser announces (EIP-6963), the generic injected wallet, and on the local
 * chain the dev accounts, which need no extension.
 */
export function ConnectorList({ onConnected }: { onConnected?: () => void }) {
  const connectors = useConnectors();
  const connect = useConnect();
  const announced = connectors.filter((c) => c.type === "injected" && c.id !== "injected");
  const shown = connectors.filter((c) => c.id !== "injected" || announced.length === 0);
  const label = (c: Connector) =>
    c.id === "injected" ? (hasInjectedProvider() ? "Browser wallet" : "Browser wallet (none found)") : c.name;
  return (
    <div className="connectors">
      {shown.map((c) => (
        <button
          key={c.uid}
          type="button"
          className={c.type === "devAccount" ? "secondary" : undefined}
          disabled={connect.isPending || (c.id === "injected" && !hasInjectedProvider())}
          onClick={() => connect.mutate({ connector: c }, { onSuccess: () => onConnected?.() })}
        >
          {c.icon && <img src={c.icon} alt="" width={16} height={16} />}
          {label(c)}
        </button>
      ))}
      {connect.error && <p className="action-status error">{errorMessage(connect.error)}</p>}
    </div>
  );
}

declare global {
  interface Window {
    ethereum?: unknown;
  }
}
