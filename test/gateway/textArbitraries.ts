import fc from "fast-check";

/** Characters that exercise the pre-tokenizers' edges: contractions, whitespace runs, numbers, marks, surrogates. */
export const tricky = fc.constantFrom(
  ...[" ", "    ", " ".repeat(9), "\n", "\r\n", "\r", "\t", "\u00a0", "\u2028", "'", "'l", "s", "l", "ll", "L", "ve"],
  ...["RE", "do", "don", "I", "t", "Z", "é", "e\u0301", "ß", "Ǆ", "ǅ", "ʰ", "中", "文", "ア", "ي", "1", "23", "٣"],
  ...[
    "/",
    "!",
    "?!",
    ".",
    "-",
    "<|endoftext|>",
    "😀",
    "👩🏽‍💻",
    "𝐀",
    "𝐚",
    "\ud835",
    "\udc00",
    "\udc1a",
    "\u0000",
    "\u200d",
  ],
);

/** Long runs of one string: spaces, line breaks, letters, CJK, emoji, punctuation, digits. */
export const longRun = fc
  .tuple(
    fc.constantFrom(" ", "\n", "\r\n", "  \n", "\t", "\u3000", "a", "ab", "Ab", "中", "😀", "-", "1"),
    fc.integer({ min: 20, max: 300 }),
  )
  .map(([unit, times]) => unit.repeat(times));

/** Long runs mixing characters of one class (or nearly: a few intruders), to reach and leave the fast paths. */
export const classRun = fc
  .tuple(
    fc.constantFrom(
      ["-", "=", "😀", "/", "'", "*", "\u0301", "\ud835"],
      ["a", "b", "é", "ß", "中", "ʰ", "\u0301", "ア"],
      ["A", "B", "Ǆ", "ǅ", "𝐀"],
      ["a", "s", "l", "'", "t"],
      ["\n", "/", "-", "\r"],
    ),
    fc.array(fc.nat(), { minLength: 60, maxLength: 220 }),
  )
  .map(([chars, picks]) => picks.map((k) => chars[k % chars.length]).join(""));

/** Texts for the properties: short tricky ones, any code units (lone surrogates too), and long runs. */
export const arbText = fc.oneof(
  fc.array(tricky, { maxLength: 40 }).map((parts) => parts.join("")),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.array(fc.oneof(classRun, tricky, longRun), { maxLength: 6 }).map((parts) => parts.join("")),
);

/**
 * Splits `text` at the given points (taken modulo its length + 1), in UTF-16 units, so surrogate pairs may be
 * cut too.
 */
export function splitAt(text: string, points: readonly number[]): string[] {
  const cuts = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    parts.push(text.slice(from, cut));
    from = cut;
  }
  return parts;
}
