import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { zeroAddress } from "viem";
import { addr, CREDIT, loadBasis, networkHelpers, viem } from "./fixture.js";
import { signPermit } from "./signing.js";

describe("DevCreditToken", () => {
  it("is an 18-decimal token named Basis Dev Credit (bCREDIT) holding the fixture's mints", async () => {
    const { creditToken, alice, bob, carol } = await loadBasis();
    assert.deepEqual(
      [await creditToken.read.name(), await creditToken.read.symbol(), await creditToken.read.decimals()],
      ["Basis Dev Credit", "bCREDIT", 18],
    );
    for (const user of [alice, bob, carol]) {
      assert.equal(await creditToken.read.balanceOf([addr(user)]), 1_000_000n * CREDIT);
    }
    assert.equal(await creditToken.read.totalSupply(), 3_000_000n * CREDIT);
  });

  describe("#mint", () => {
    it("lets anyone mint to anyone, emitting Transfer from the zero address", async () => {
      const { creditToken, alice, carol } = await loadBasis();
      await viem.assertions.emitWithArgs(
        creditToken.write.mint([addr(carol), 5n], { account: alice.account }),
        creditToken,
        "Transfer",
        [zeroAddress, addr(carol), 5n],
      );
      assert.equal(await creditToken.read.balanceOf([addr(carol)]), 1_000_000n * CREDIT + 5n);
    });

    it("reverts with ERC20InvalidReceiver(0) when minting to the zero address", async () => {
      const { creditToken } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditToken.write.mint([zeroAddress, 1n]),
        creditToken,
        "ERC20InvalidReceiver",
        [zeroAddress],
      );
    });
  });

  describe("#permit", () => {
    it("sets the allowance from an EIP-2612 signature submitted by anyone, and consumes the nonce", async () => {
      const { creditToken, alice, bob, carol } = await loadBasis();
      const deadline = BigInt(await networkHelpers.time.latest()) + 600n;
      const { v, r, s, nonce } = await signPermit(alice, creditToken, addr(bob), 77n, deadline);
      const args = [addr(alice), addr(bob), 77n, deadline, v, r, s] as const;
      await viem.assertions.emitWithArgs(
        creditToken.write.permit(args, { account: carol.account }),
        creditToken,
        "Approval",
        [addr(alice), addr(bob), 77n],
      );
      assert.equal(await creditToken.read.allowance([addr(alice), addr(bob)]), 77n);
      assert.equal(await creditToken.read.nonces([addr(alice)]), nonce + 1n);
      // Replayed, the same signature is checked against the next nonce and recovers to some other address.
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditToken.write.permit(args, { account: carol.account }),
        creditToken,
        "ERC2612InvalidSigner",
        [(signer: string) => signer.toLowerCase() !== addr(alice).toLowerCase(), addr(alice)],
      );
    });

    it("reverts with ERC2612ExpiredSignature(deadline) after the deadline", async () => {
      const { creditToken, alice, bob } = await loadBasis();
      const deadline = BigInt(await networkHelpers.time.latest()) + 10n;
      const { v, r, s } = await signPermit(alice, creditToken, addr(bob), 1n, deadline);
      await networkHelpers.time.increase(60);
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditToken.write.permit([addr(alice), addr(bob), 1n, deadline, v, r, s]),
        creditToken,
        "ERC2612ExpiredSignature",
        [deadline],
      );
    });
  });
});
