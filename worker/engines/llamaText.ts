/** Streaming text of the embedded llama.cpp engine: incremental detokenizing and stop sequences. */
import type { LlamaModel, Token } from "node-llama-cpp";

/**
 * Turns tokens into text as they come. Decoding one SentencePiece token alone drops its leading space and
 * splits multi-byte characters, so each step decodes a short window that starts before the new token and
 * returns what it adds; an incomplete UTF-8 character (U+FFFD at the end) waits for the next token.
 */
export function createIncrementalText(model: LlamaModel, context: readonly Token[]) {
  let tokens: Token[] = [...context];
  let read = tokens.length;
  /** The text the unread tokens add; with `force`, even when it is empty or ends mid-character. */
  const advance = (force: boolean): string => {
    const before = model.detokenize(tokens.slice(0, read));
    const after = model.detokenize(tokens);
    const grows = after.length > before.length && after.startsWith(before);
    if (!force && (!grows || after.endsWith("\uFFFD"))) return "";
    // The tokens just read become the context of the next step.
    tokens = tokens.slice(read);
    read = tokens.length;
    return grows ? after.slice(before.length) : "";
  };
  return {
    push(token: Token): string {
      tokens.push(token);
      return advance(false);
    },
    /** Whatever is still held back (an incomplete character decodes as U+FFFD). */
    flush(): string {
      return read < tokens.length ? advance(true) : "";
    },
  };
}

/**
 * Finds stop sequences in streamed text: passes text through except a tail that may begin a stop
 * sequence, and cuts the text before the first stop sequence found.
 */
export function createStopMatcher(stops: readonly string[]) {
  let pending = "";
  let stopped = false;
  return {
    /** Adds text; `end` releases everything held back. */
    push(text: string, end: boolean): { emit: string; stopped: boolean } {
      if (stopped) return { emit: "", stopped };
      pending += text;
      let cut = -1;
      for (const stop of stops) {
        const at = pending.indexOf(stop);
        if (at !== -1 && (cut === -1 || at < cut)) cut = at;
      }
      if (cut !== -1) {
        stopped = true;
        const emit = pending.slice(0, cut);
        pending = "";
        return { emit, stopped };
      }
      let hold = 0;
      if (!end)
        for (const stop of stops)
          for (let k = Math.min(stop.length - 1, pending.length); k > hold; k--)
            if (pending.endsWith(stop.slice(0, k))) {
              hold = k;
              break;
            }
      const emit = pending.slice(0, pending.length - hold);
      pending = pending.slice(pending.length - hold);
      return { emit, stopped };
    },
    stopped: () => stopped,
  };
}
