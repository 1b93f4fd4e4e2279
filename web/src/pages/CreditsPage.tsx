import { SignInGate, WalletGate } from "../components/Gates";
import { CreditsSection } from "../sections/credits/CreditsSection";
import { DepositSection } from "../sections/credits/DepositSection";
import { HistorySection } from "../sections/credits/HistorySection";
import { WalletSection } from "../sections/credits/WalletSection";
import { WithdrawSection } from "../sections/credits/WithdrawSection";

/** Depositors: the wallet's tokens, deposits, the credit balance, withdrawals and the credit history. */
export function CreditsPage() {
  return (
    <WalletGate what="your credits">
      <div className="grid-2">
        <WalletSection />
        <DepositSection />
      </div>
      <SignInGate what="your credit balance, withdrawals and history">
        <CreditsSection />
        <WithdrawSection />
        <HistorySection />
      </SignInGate>
    </WalletGate>
  );
}
