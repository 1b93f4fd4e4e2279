import { createStreamCounter } from "../metering/streamCounter.js";
import type { Tokenizer } from "../metering/tokenizer.js";

/**
 * Meters one choice of a generation as it is relayed: counts its tokens exactly (the gateway's count
 * is what is billed) and enforces the completion cap, whatever the backend sends.
 */
export function createChoiceMeter(tokenizer: Tokenizer, cap: number, echoedPrompt = "") {
  const counter = createStreamCounter(tokenizer);
  let reason: "stop" | "length" | null = null;
  // With `echo`, the backend first repeats the prompt: relayed, but billed as prompt tokens, not output.
  let echoLeft = echoedPrompt;

  /** The longest prefix of `text` (whole code points) that keeps the choice within the cap. */
  function fitting(text: string): string {
    const points = Array.from(text);
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (counter.tokensWith(points.slice(0, mid).join("")) <= cap) lo = mid;
      else hi = mid - 1;
    }
    return points.slice(0, lo).join("");
  }

  return {
    /**
     * Takes a delta from the backend.
     * @returns the part to relay (all of it unless the cap cuts it), or null when nothing more may be relayed.
     */
    accept(text: string): string | null {
      if (reason !== null) return null;
      if (echoLeft !== "") {
        let same = 0;
        while (same < text.length && same < echoLeft.length && text[same] === echoLeft[same]) same++;
        echoLeft = same === text.length || same === echoLeft.length ? echoLeft.slice(same) : "";
        const rest = text.slice(same);
        if (rest === "") return text;
        const counted = this.accept(rest);
        return counted === null ? text.slice(0, same) || null : text.slice(0, same) + counted;
      }
      // Far from the cap a bound decides (see StreamCounter.settled); near it, the exact count with the delta.
      const { finalTokens, unfinishedUnits } = counter.settled();
      if (finalTokens + 3 * (unfinishedUnits + text.length) <= cap || counter.tokensWith(text) <= cap) {
        counter.push(text);
        if (counter.tokens() >= cap) reason = "length";
        return text;
      }
      const part = fitting(text);
      reason = "length";
      if (part === "") return null;
      counter.push(part);
      return part;
    },
    /** Marks the choice finished by the backend. */
    finish(finishReason: "stop" | "length") {
      reason ??= finishReason;
    },
    done: () => reason !== null,
    finishReason: () => reason,
    tokens: () => counter.tokens(),
    text: () => counter.text(),
  };
}
