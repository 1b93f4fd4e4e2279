import { formatUnits, parseUnits } from "viem";

/** The credit token's decimals (base units per credit: 10^18). */
export const CREDIT_DECIMALS = 18;

/**
 * Base units as credits for people: thousands grouped, at most `maxDecimals` decimals (cut, never rounded up, so
 * a balance is never shown larger than it is), trailing zeros dropped.
 * @example formatCredits(1_234_500_000_000_000_000_000n) // "1,234.5"
 */
export function formatCredits(value: bigint | string, maxDecimals = 6): string {
  const units = typeof value === "bigint" ? value : BigInt(value);
  const negative = units < 0n;
  const [whole = "0", fraction = ""] = formatUnits(negative ? -units : units, CREDIT_DECIMALS).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cut = fraction.slice(0, maxDecimals).replace(/0+$/, "");
  const shown = cut ? `${grouped}.${cut}` : grouped;
  if (shown === "0" && units !== 0n) return negative ? "> -0.000001" : "< 0.000001";
  return negative ? `-${shown}` : shown;
}

/**
 * Credits typed by a person as base units, or null when it is not a positive amount with at most 18 decimals.
 * @example parseCredits("12.5") // 12_500_000_000_000_000_000n
 */
export function parseCredits(input: string): bigint | null {
  const text = input.trim().replace(/,/g, "");
  if (!/^\d+(\.\d{1,18})?$/.test(text)) return null;
  const units = parseUnits(text, CREDIT_DECIMALS);
  return units > 0n ? units : null;
}

/** A hash or address cut to its ends: `0x1234…cdef`. */
export function shortHex(hex: string, keep = 4): string {
  return hex.length <= 2 + keep * 2 + 1 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`;
}

/** A timestamp in the reader's locale, to the second. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** A whole number with thousands grouped. */
export function formatCount(value: number | string): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
