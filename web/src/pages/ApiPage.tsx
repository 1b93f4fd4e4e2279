import { SignInGate } from "../components/Gates";
import { KeysSection } from "../sections/api/KeysSection";
import { ReceiptsSection } from "../sections/api/ReceiptsSection";
import { UsageSection } from "../sections/api/UsageSection";

/** API users: keys, usage over time, and receipts with their verification and on-chain inclusion. */
export function ApiPage() {
  return (
    <SignInGate what="your API keys, usage and receipts">
      <KeysSection />
      <UsageSection />
      <ReceiptsSection />
    </SignInGate>
  );
}
