import { txUrl } from "../config/chains";
import { useRuntimeConfig } from "../config/RuntimeConfigContext";
import { shortHex } from "../lib/format";

/** A hash or address, shortened, the whole value on hover and selectable. */
export function Hash({ value, keep = 6 }: { value: string; keep?: number }) {
  return (
    <code className="hash" title={value}>
      {shortHex(value, keep)}
    </code>
  );
}

/** A transaction hash, linked to the chain's explorer where there is one. */
export function TxHash({ hash }: { hash: string | null | undefined }) {
  const { chain } = useRuntimeConfig();
  if (!hash) return <span className="muted">—</span>;
  const url = txUrl(chain, hash);
  return url ? (
    <a href={url} target="_blank" rel="noreferrer">
      <Hash value={hash} />
    </a>
  ) : (
    <Hash value={hash} />
  );
}
