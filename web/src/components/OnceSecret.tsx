import { useState } from "react";

/** A secret the gateway shows once (a new API key or worker token), with a copy button and the warning. */
export function OnceSecret({ label, secret, onDismiss }: { label: string; secret: string; onDismiss(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="once-secret" role="status">
      <p>
        <strong>{label}</strong> — copy it now: it is shown this once and never again.
      </p>
      <div className="once-secret-row">
        <code data-testid="new-secret">{secret}</code>
        <button
          type="button"
          onClick={() =>
            navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="secondary" onClick={onDismiss}>
          Done
        </button>
      </div>
    </div>
  );
}
