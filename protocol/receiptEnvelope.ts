import { z } from "zod";
import { decimalSchema, hexDigestSchema, receiptCoreSchema, timestampSchema } from "./receipt.js";

/**
 * The envelope of a receipt (DESIGN §4): not hashed, it may change as the receipt is signed, settled or refunded,
 * while the core and its hash stay as they were.
 */

/** Cross-field rules run only on a value whose every field is well-formed (zod runs them after field issues otherwise). */
const onlyWhenWellFormed = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/**
 * Where a settled receipt sits: its batch on the SettlementRegistry (chain, registry, batch id and root), its leaf
 * (its index in the batch file) and merkle proof, and the posting transaction. `txHash` is null only when the gateway
 * stopped between sending the batch and recording its transaction (the batch's `BatchPosted` event names it).
 */
export const receiptSettlementSchema = z.strictObject({
  batchId: z.int().positive(),
  root: hexDigestSchema,
  leafIndex: z.int().nonnegative(),
  proof: z.array(hexDigestSchema),
  txHash: hexDigestSchema.nullable(),
  chainId: z.int().positive(),
  registry: z.string().regex(/^0x[0-9a-f]{40}$/, "expected a lowercase address"),
});

/** A later, explicit reversal of (part of) the debit: the core and its hash stay as they were. */
export const receiptRefundSchema = z.strictObject({
  amount: decimalSchema,
  reason: z.string().min(1),
  refundedAt: timestampSchema,
});

/** `recorded` → `settled`, or `refunded`. */
export const receiptStatusSchema = z.enum(["recorded", "settled", "refunded"]);

/**
 * A receipt as stored and served: its hash, its core, and the envelope. `signature` is the attester's EIP-191
 * signature of `hash` (65 bytes), null only until the off-path signer has signed it.
 */
export const receiptSchema = z
  .strictObject({
    hash: hexDigestSchema,
    core: receiptCoreSchema,
    status: receiptStatusSchema,
    signature: z
      .string()
      .regex(/^0x[0-9a-fA-F]{130}$/, "expected a 65-byte signature")
      .nullable(),
    settlement: receiptSettlementSchema.nullable(),
    refund: receiptRefundSchema.nullable(),
    /** What the backend said it used, stored beside the gateway's own count and never billed (absent: not served). */
    reported_usage: z
      .strictObject({
        prompt_tokens: z.int().nonnegative().nullable(),
        completion_tokens: z.int().nonnegative().nullable(),
      })
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.status === "settled" && r.settlement === null) {
      ctx.addIssue({ code: "custom", path: ["settlement"], message: "a settled receipt has settlement pointers" });
    }
    if (r.status === "recorded" && r.settlement !== null) {
      ctx.addIssue({ code: "custom", path: ["status"], message: "a receipt with settlement pointers is settled" });
    }
    if (r.status === "refunded" && r.refund === null) {
      ctx.addIssue({ code: "custom", path: ["refund"], message: "a refunded receipt has a refund" });
    }
    if (r.status !== "refunded" && r.refund !== null) {
      ctx.addIssue({ code: "custom", path: ["status"], message: "a receipt with a refund is refunded" });
    }
    if (r.refund !== null && BigInt(r.refund.amount) > BigInt(r.core.charged)) {
      ctx.addIssue({ code: "custom", path: ["refund", "amount"], message: "must not exceed the charge" });
    }
  }, onlyWhenWellFormed);

/** A receipt with its envelope. */
export type Receipt = z.infer<typeof receiptSchema>;
/** The envelope of a receipt: everything but `hash` and `core`, none of it hashed. */
export type ReceiptEnvelope = Omit<Receipt, "hash" | "core">;
/** The lifecycle status of a receipt. */
export type ReceiptStatus = z.infer<typeof receiptStatusSchema>;
