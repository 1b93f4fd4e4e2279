import { useConnection, useSwitchChain } from "wagmi";
import { useRuntimeConfig } from "../config/RuntimeConfigContext";
import { errorMessage } from "../hooks/useAction";

/** Names of chains a wallet is often on, for the wrong-chain notice (others are shown by id). */
const CHAIN_NAMES: Record<number, string> = {
  1: "Ethereum",
  10: "OP Mainnet",
  137: "Polygon",
  8453: "Base",
  31337: "Hardhat (local)",
  42161: "Arbitrum One",
  84532: "Base Sepolia",
  11155111: "Sepolia",
};

/** A chain for people: its name when known, and its id. */
export const chainLabel = (id: number) => (CHAIN_NAMES[id] ? `${CHAIN_NAMES[id]} (chain ${id})` : `chain ${id}`);

/** Whether the connected wallet is on another chain than the deployment's (false while none is connected). */
export function useWrongChain(): boolean {
  const { status, chainId } = useConnection();
  const { chain } = useRuntimeConfig();
  return status === "connected" && chainId !== undefined && chainId !== chain.id;
}

/**
 * Says that the wallet is on another chain than the deployment's and offers to switch (a wallet that does not know
 * the chain is asked to add it, with the dashboard's RPC on the local chain). Nothing can be signed until it does.
 */
export function WrongChainNotice() {
  const { chainId } = useConnection();
  const { chain } = useRuntimeConfig();
  const switchChain = useSwitchChain();
  return (
    <div className="gate wrong-chain" role="alert" data-testid="wrong-chain">
      <p>
        <strong>Wrong network.</strong> Your wallet is on {chainLabel(chainId ?? 0)}, but this dashboard's contracts are
        on {chain.name} (chain {chain.id}). Switch your wallet to {chain.name} to continue: deposits, signatures and
        claims are only made there.
      </p>
      <button
        type="button"
        className="warning"
        onClick={() => switchChain.mutate({ chainId: chain.id })}
        disabled={switchChain.isPending}
        data-testid="switch-chain"
      >
        {switchChain.isPending ? "Confirm in your wallet…" : `Switch to ${chain.name}`}
      </button>
      {switchChain.error && (
        <p className="action-status error">
          Could not switch: {errorMessage(switchChain.error)}. Switch the network in your wallet instead.
        </p>
      )}
    </div>
  );
}
