import { BatchesSection } from "../sections/auditor/BatchesSection";
import { ChainSection } from "../sections/auditor/ChainSection";
import { ReceiptChecker } from "../sections/auditor/ReceiptChecker";

/** Auditors (no wallet needed): a receipt checker, the batches with their roots and transactions, the chain's state. */
export function AuditorPage() {
  const initial = new URLSearchParams(window.location.hash.split("?")[1] ?? "").get("receipt") ?? "";
  return (
    <>
      <ReceiptChecker key={initial} initial={initial} />
      <BatchesSection />
      <ChainSection />
    </>
  );
}
