import { useBalance, useConfig, useConnection } from "wagmi";
import { waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { ActionStatus } from "../../components/ActionStatus";
import { Card } from "../../components/Card";
import { Stat } from "../../components/Stat";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { useAction } from "../../hooks/useAction";
import { useTokenBalance } from "../../hooks/useTokenBalance";
import { devCreditTokenAbi } from "../../lib/contracts";
import { formatCredits } from "../../lib/format";

const FAUCET_AMOUNT = 1_000n * 10n ** 18n;

/** The wallet's own funds on-chain: credit tokens it can deposit, and gas; a faucet on the local chain. */
export function WalletSection() {
  const { address } = useConnection();
  const { contracts, devToken, chain } = useRuntimeConfig();
  const config = useConfig();
  const tokens = useTokenBalance(address);
  const gas = useBalance({ address, query: { refetchInterval: 5_000 } });
  const faucet = useAction();

  const mint = () =>
    faucet.run(async (progress) => {
      if (!address) throw new Error("connect a wallet first");
      progress("Minting test credit tokens…");
      const hash = await writeContract(config, {
        address: contracts.creditToken,
        abi: devCreditTokenAbi,
        functionName: "mint",
        args: [address, FAUCET_AMOUNT],
      });
      await waitForTransactionReceipt(config, { hash });
      await tokens.refetch();
      return `Minted ${formatCredits(FAUCET_AMOUNT)} test credit tokens to your wallet.`;
    });

  return (
    <Card
      title="Wallet"
      subtitle="Credit tokens in your wallet, ready to deposit."
      actions={
        devToken && (
          <button type="button" className="secondary" onClick={mint} disabled={faucet.running} data-testid="faucet">
            Mint {formatCredits(FAUCET_AMOUNT)} test credits
          </button>
        )
      }
    >
      <div className="stats">
        <Stat
          label="Credit tokens"
          value={tokens.data === undefined ? "…" : formatCredits(tokens.data)}
          testId="wallet-tokens"
        />
        <Stat
          label={`Gas (${chain.nativeCurrency.symbol})`}
          value={gas.data === undefined ? "…" : formatCredits(gas.data.value, 4)}
        />
      </div>
      <ActionStatus state={faucet} />
    </Card>
  );
}
