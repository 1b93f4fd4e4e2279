import { createStreamCounter, type StreamCounter } from "../metering/streamCounter.js";
import type { Tokenizer } from "../metering/tokenizer.js";

/**
 * Meters one choice of a generation as it is relayed: counts its tokens exactly (the gateway's count
 * is what is billed) and enforces the completion cap, whatever the backend sends.
 */
export function createChoiceMeter(tokenizer: Tokenizer, cap: number, echoedPrompt = ""): ChoiceMeter {
  return new ChoiceMeter(tokenizer, cap, echoedPrompt);
}

/** One choice's meter (a class: one is made per choice of every job; see `createChoiceMeter`). */
export class ChoiceMeter {
  private counter: StreamCounter;
  private reason: "stop" | "length" | null = null;
  // With `echo`, the backend first repeats the prompt: relayed, but billed as prompt tokens, not output.
  private echoLeft: string;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly cap: number,
    echoedPrompt = "",
  ) {
    this.counter = createStreamCounter(tokenizer);
    this.echoLeft = echoedPrompt;
  }

  /** The longest prefix of `text` (whole code points) that keeps the choice within the cap. */
  private fitting(text: string): string {
    const points = Array.from(text);
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.counter.tokensWith(points.slice(0, mid).join("")) <= this.cap) lo = mid;
      else hi = mid - 1;
    }
    return points.slice(0, lo).join("");
  }

  /**
   * Takes a delta from the backend.
   * @returns the part to relay (all of it unless the cap cuts it), or null when nothing more may be relayed.
   */
  accept(text: string): string | null {
    if (this.reason !== null) return null;
    if (this.echoLeft !== "") {
      const echoLeft = this.echoLeft;
      let same = 0;
      while (same < text.length && same < echoLeft.length && text[same] === echoLeft[same]) same++;
      this.echoLeft = same === text.length || same === echoLeft.length ? echoLeft.slice(same) : "";
      const rest = text.slice(same);
      if (rest === "") return text;
      const counted = this.accept(rest);
      return counted === null ? text.slice(0, same) || null : text.slice(0, same) + counted;
    }
    const cap = this.cap;
    // Far from the cap a bound decides (see StreamCounter.settled): the count with the delta stays below the cap.
    const { finalTokens, unfinishedUnits } = this.counter.settled();
    const bound = finalTokens + 3 * (unfinishedUnits + text.length);
    if (bound < cap) {
      this.counter.push(text);
      return text;
    }
    // Near it, push and count exactly (the counter's count is exact after every push). Past the cap, which
    // happens once per choice, count the text before this delta again and cut the delta to what fits.
    const before = bound > cap ? this.counter.text() : "";
    this.counter.push(text);
    const tokens = this.counter.tokens();
    if (tokens <= cap) {
      if (tokens >= cap) this.reason = "length";
      return text;
    }
    this.counter = createStreamCounter(this.tokenizer);
    this.counter.push(before);
    const part = this.fitting(text);
    this.reason = "length";
    if (part === "") return null;
    this.counter.push(part);
    return part;
  }

  /** Marks the choice finished by the backend. */
  finish(finishReason: "stop" | "length") {
    this.reason ??= finishReason;
  }

  done() {
    return this.reason !== null;
  }

  finishReason() {
    return this.reason;
  }

  tokens() {
    return this.counter.tokens();
  }

  text() {
    return this.counter.text();
  }
}
