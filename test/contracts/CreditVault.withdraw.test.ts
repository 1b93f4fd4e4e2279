import assert from "node:assert/strict";
import { describe, it } from "mocha";
import {
  concat,
  getAddress,
  type Hex,
  hashDomain,
  hashTypedData,
  hexToBigInt,
  keccak256,
  numberToHex,
  parseSignature,
  recoverTypedDataAddress,
  toHex,
  zeroAddress,
} from "viem";
import { VOUCHER_TYPES, voucherDomain } from "../../protocol/voucher.js";
import { addr, CREDIT, loadBasis, networkHelpers, viem } from "./fixture.js";
import { assertTokenDeltas, type Basis, deposit, mined, pinNextTimestamp } from "./helpers.js";
import { signVoucher, type Voucher } from "./signing.js";

const DEPOSITED = 1_000n * CREDIT;

/** The order of the secp256k1 group. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The fixture with alice's 1,000 credits deposited, and a voucher helper. */
async function withCredit() {
  const basis = await loadBasis();
  await deposit(basis, basis.alice, addr(basis.alice), DEPOSITED);
  const deadline = BigInt(await networkHelpers.time.latest()) + 3_600n;
  return { ...basis, deadline };
}

function voucherFor(basis: Basis, fields: Partial<Voucher> & { deadline: bigint }): Voucher {
  return { account: addr(basis.alice), amount: 100n * CREDIT, nonce: 1n, ...fields };
}

describe("CreditVault", () => {
  describe("#withdraw", () => {
    it("pays voucher.account, not the submitter, and emits Withdrawn with the caller", async () => {
      const basis = await withCredit();
      const { creditVault, creditToken, attester, alice, bob } = basis;
      const voucher = voucherFor(basis, { deadline: basis.deadline });
      const signature = await signVoucher(attester, creditVault.address, voucher);
      await assertTokenDeltas(
        creditToken,
        () => creditVault.write.withdraw([voucher, signature], { account: bob.account }),
        [
          { address: addr(alice), amount: voucher.amount },
          { address: addr(bob), amount: 0n },
          { address: creditVault.address, amount: -voucher.amount },
        ],
      );
      assert.equal(await creditVault.read.outstandingCredit(), DEPOSITED - voucher.amount);
      assert.equal(await creditVault.read.voucherUsed([addr(alice), voucher.nonce]), true);
    });

    it("emits Withdrawn(account, nonce, amount, caller)", async () => {
      const basis = await withCredit();
      const { creditVault, attester, alice, carol } = basis;
      const voucher = voucherFor(basis, { nonce: 7n, deadline: basis.deadline });
      const signature = await signVoucher(attester, creditVault.address, voucher);
      await viem.assertions.emitWithArgs(
        creditVault.write.withdraw([voucher, signature], { account: carol.account }),
        creditVault,
        "Withdrawn",
        [addr(alice), 7n, voucher.amount, addr(carol)],
      );
    });

    it("accepts a voucher in the very block of its deadline", async () => {
      const basis = await withCredit();
      const { creditVault, attester, alice } = basis;
      const deadline = await pinNextTimestamp(10);
      const voucher = voucherFor(basis, { deadline });
      const signature = await signVoucher(attester, creditVault.address, voucher);
      await mined(creditVault.write.withdraw([voucher, signature], { account: alice.account }));
      assert.equal(await creditVault.read.outstandingCredit(), DEPOSITED - voucher.amount);
    });

    it("lets the same account withdraw again with a new nonce", async () => {
      const basis = await withCredit();
      const { creditVault, attester, alice } = basis;
      for (const nonce of [1n, 2n]) {
        const voucher = voucherFor(basis, { nonce, deadline: basis.deadline });
        await mined(creditVault.write.withdraw([voucher, await signVoucher(attester, creditVault.address, voucher)]));
      }
      assert.equal(await creditVault.read.outstandingCredit(), DEPOSITED - 200n * CREDIT);
      assert.equal(
        await basis.creditToken.read.balanceOf([addr(alice)]),
        1_000_000n * CREDIT - DEPOSITED + 200n * CREDIT,
      );
    });

    it("can return all outstanding credit, and reverts with InsufficientCredit(requested, outstanding) above it", async () => {
      const basis = await withCredit();
      const { creditVault, attester } = basis;
      const tooMuch = voucherFor(basis, { amount: DEPOSITED + 1n, deadline: basis.deadline });
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([tooMuch, await signVoucher(attester, creditVault.address, tooMuch)]),
        creditVault,
        "InsufficientCredit",
        [DEPOSITED + 1n, DEPOSITED],
      );
      const all = voucherFor(basis, { amount: DEPOSITED, nonce: 2n, deadline: basis.deadline });
      await mined(creditVault.write.withdraw([all, await signVoucher(attester, creditVault.address, all)]));
      assert.equal(await creditVault.read.outstandingCredit(), 0n);
    });

    it("reverts with VoucherExpired(deadline, timestamp) once the deadline has passed", async () => {
      const basis = await withCredit();
      const { creditVault, attester } = basis;
      const voucher = voucherFor(basis, { deadline: basis.deadline });
      const signature = await signVoucher(attester, creditVault.address, voucher);
      await networkHelpers.time.increaseTo(basis.deadline);
      await networkHelpers.time.setNextBlockTimestamp(basis.deadline + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([voucher, signature]),
        creditVault,
        "VoucherExpired",
        [basis.deadline, basis.deadline + 1n],
      );
    });

    it("reverts with VoucherAlreadyUsed(account, nonce) when a voucher is replayed", async () => {
      const basis = await withCredit();
      const { creditVault, attester, alice, bob } = basis;
      const voucher = voucherFor(basis, { nonce: 3n, deadline: basis.deadline });
      const signature = await signVoucher(attester, creditVault.address, voucher);
      await mined(creditVault.write.withdraw([voucher, signature], { account: alice.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([voucher, signature], { account: bob.account }),
        creditVault,
        "VoucherAlreadyUsed",
        [addr(alice), 3n],
      );
      // A different amount under the same nonce is a replay too.
      const again = { ...voucher, amount: 1n };
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([again, await signVoucher(attester, creditVault.address, again)]),
        creditVault,
        "VoucherAlreadyUsed",
        [addr(alice), 3n],
      );
    });

    it("reverts with InvalidVoucherSigner(signer, attester) for a voucher signed by someone else", async () => {
      const basis = await withCredit();
      const { creditVault, attester, alice } = basis;
      const voucher = voucherFor(basis, { deadline: basis.deadline });
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([voucher, await signVoucher(alice, creditVault.address, voucher)], {
          account: alice.account,
        }),
        creditVault,
        "InvalidVoucherSigner",
        [addr(alice), addr(attester)],
      );
    });

    it("reverts with InvalidVoucherSigner when the voucher was altered after signing", async () => {
      const basis = await withCredit();
      const { creditVault, attester, publicClient } = basis;
      const signed = voucherFor(basis, { deadline: basis.deadline });
      const signature = await signVoucher(attester, creditVault.address, signed);
      const altered = { ...signed, amount: signed.amount * 2n };
      const recovered = await recoverTypedDataAddress({
        domain: voucherDomain(await publicClient.getChainId(), creditVault.address),
        types: VOUCHER_TYPES,
        primaryType: "Voucher",
        message: altered,
        signature,
      });
      assert.notEqual(recovered, addr(attester));
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([altered, signature]),
        creditVault,
        "InvalidVoucherSigner",
        [recovered, addr(attester)],
      );
    });

    it("reverts with InvalidVoucherSigner for an attester signature under another vault's domain", async () => {
      const basis = await withCredit();
      const { creditVault, attester, rewardDistributor, publicClient } = basis;
      const voucher = voucherFor(basis, { deadline: basis.deadline });
      const domain = { verifyingContract: rewardDistributor.address };
      const signature = await signVoucher(attester, creditVault.address, voucher, domain);
      const recovered = await recoverTypedDataAddress({
        domain: voucherDomain(await publicClient.getChainId(), creditVault.address),
        types: VOUCHER_TYPES,
        primaryType: "Voucher",
        message: voucher,
        signature,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([voucher, signature]),
        creditVault,
        "InvalidVoucherSigner",
        [recovered, addr(attester)],
      );
    });

    it("reverts with OpenZeppelin's ECDSA errors for malformed signatures", async () => {
      const basis = await withCredit();
      const { creditVault, attester } = basis;
      const voucher = voucherFor(basis, { deadline: basis.deadline });
      const signature = await signVoucher(attester, creditVault.address, voucher);
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([voucher, signature.slice(0, 130) as Hex]),
        creditVault,
        "ECDSAInvalidSignatureLength",
        [64n],
      );
      // The same signature with s mirrored into the upper half of the curve order (EIP-2 malleability).
      const { r, s, yParity } = parseSignature(signature);
      const highS = numberToHex(SECP256K1_N - hexToBigInt(s), { size: 32 });
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([voucher, concat([r, highS, yParity === 0 ? "0x1c" : "0x1b"])]),
        creditVault,
        "ECDSAInvalidSignatureS",
        [highS],
      );
      const zeroR = concat([numberToHex(0, { size: 32 }), numberToHex(1, { size: 32 }), "0x1b"]);
      await viem.assertions.revertWithCustomError(
        creditVault.write.withdraw([voucher, zeroR]),
        creditVault,
        "ECDSAInvalidSignature",
      );
    });

    it("reverts with ZeroAddress for a voucher to the zero address and ZeroAmount for a zero amount", async () => {
      const basis = await withCredit();
      const { creditVault, attester } = basis;
      const toZero = voucherFor(basis, { account: zeroAddress, deadline: basis.deadline });
      await viem.assertions.revertWithCustomError(
        creditVault.write.withdraw([toZero, await signVoucher(attester, creditVault.address, toZero)]),
        creditVault,
        "ZeroAddress",
      );
      const zero = voucherFor(basis, { amount: 0n, deadline: basis.deadline });
      await viem.assertions.revertWithCustomError(
        creditVault.write.withdraw([zero, await signVoucher(attester, creditVault.address, zero)]),
        creditVault,
        "ZeroAmount",
      );
    });

    it("reverts with EnforcedPause while the vault is paused", async () => {
      const basis = await withCredit();
      const { creditVault, attester } = basis;
      const voucher = voucherFor(basis, { deadline: basis.deadline });
      const signature = await signVoucher(attester, creditVault.address, voucher);
      await mined(creditVault.write.pause());
      await viem.assertions.revertWithCustomError(
        creditVault.write.withdraw([voucher, signature]),
        creditVault,
        "EnforcedPause",
      );
    });

    it("reverts with SettlementRegistryNotSet on a vault without a registry", async () => {
      const { creditToken, attester, admin, alice, bob } = await loadBasis();
      const vault = await viem.deployContract("CreditVault", [
        creditToken.address,
        admin.account.address,
        addr(bob),
        addr(bob),
      ]);
      const voucher = {
        account: addr(alice),
        amount: 1n,
        nonce: 1n,
        deadline: BigInt(await networkHelpers.time.latest()) + 60n,
      };
      await viem.assertions.revertWithCustomError(
        vault.write.withdraw([voucher, await signVoucher(attester, vault.address, voucher)]),
        vault,
        "SettlementRegistryNotSet",
      );
    });
  });

  describe("attester rotation", () => {
    it("accepts vouchers from the new attester and rejects those of the old one", async () => {
      const basis = await withCredit();
      const { creditVault, settlementRegistry, attester, carol, alice } = basis;
      const old = voucherFor(basis, { nonce: 1n, deadline: basis.deadline });
      const oldSignature = await signVoucher(attester, creditVault.address, old);
      await mined(settlementRegistry.write.setAttester([addr(carol)]));
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.withdraw([old, oldSignature], { account: alice.account }),
        creditVault,
        "InvalidVoucherSigner",
        [addr(attester), addr(carol)],
      );
      const fresh = voucherFor(basis, { nonce: 2n, deadline: basis.deadline });
      await mined(creditVault.write.withdraw([fresh, await signVoucher(carol, creditVault.address, fresh)]));
      assert.equal(await creditVault.read.outstandingCredit(), DEPOSITED - fresh.amount);
      assert.equal(await creditVault.read.voucherUsed([addr(alice), 1n]), false);
    });
  });

  describe("EIP-712 views", () => {
    it("VOUCHER_TYPEHASH is the hash of the Voucher type string", async () => {
      const { creditVault } = await loadBasis();
      assert.equal(
        await creditVault.read.VOUCHER_TYPEHASH(),
        keccak256(toHex("Voucher(address account,uint256 amount,uint256 nonce,uint256 deadline)")),
      );
    });

    it("domainSeparator and voucherDigest match what a wallet signs with viem", async () => {
      const basis = await withCredit();
      const { creditVault, publicClient } = basis;
      const domain = voucherDomain(await publicClient.getChainId(), creditVault.address);
      const voucher = voucherFor(basis, { deadline: basis.deadline });
      assert.equal(
        await creditVault.read.domainSeparator(),
        hashDomain({
          domain: { ...domain, chainId: BigInt(domain.chainId) },
          types: {
            EIP712Domain: [
              { name: "name", type: "string" },
              { name: "version", type: "string" },
              { name: "chainId", type: "uint256" },
              { name: "verifyingContract", type: "address" },
            ],
          },
        }),
      );
      assert.equal(
        await creditVault.read.voucherDigest([voucher]),
        hashTypedData({ domain, types: VOUCHER_TYPES, primaryType: "Voucher", message: voucher }),
      );
      const [, name, version, chainId, verifyingContract] = await creditVault.read.eip712Domain();
      assert.deepEqual(
        [name, version, chainId, verifyingContract],
        [domain.name, domain.version, BigInt(domain.chainId), getAddress(creditVault.address)],
      );
    });
  });
});
