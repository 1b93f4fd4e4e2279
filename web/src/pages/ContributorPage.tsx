import { SignInGate, WalletGate } from "../components/Gates";
import { RewardsSection } from "../sections/contributor/RewardsSection";
import { ServedJobsSection } from "../sections/contributor/ServedJobsSection";
import { WorkersSection } from "../sections/contributor/WorkersSection";
import { WorkerTokensSection } from "../sections/contributor/WorkerTokensSection";

/** Contributors: rewards and claims, jobs served and rewards over time, workers and their tokens. */
export function ContributorPage() {
  return (
    <WalletGate what="your rewards">
      <RewardsSection />
      <SignInGate what="the jobs your workers served, your workers and worker tokens">
        <ServedJobsSection />
        <WorkersSection />
        <WorkerTokensSection />
      </SignInGate>
    </WalletGate>
  );
}
