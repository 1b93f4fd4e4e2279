import type { ModelEntry } from "../catalog.js";
import { invalidRequest } from "../errors.js";

/**
 * The completion cap of a request: what it asked for, or all the room the context leaves.
 * @throws ApiError 400 `context_length_exceeded` when the prompt fills the context or the cap does not fit.
 */
export function completionCap(
  model: ModelEntry,
  promptTokens: number,
  requested: number | null,
  param: string,
  promptParam: string,
): number {
  const room = model.contextWindow - promptTokens;
  if (room < 1) {
    throw invalidRequest(
      `This model's maximum context length is ${model.contextWindow} tokens; the prompt uses ${promptTokens}.`,
      promptParam,
      "context_length_exceeded",
    );
  }
  if (requested !== null && requested > room) {
    throw invalidRequest(
      `${param} is too large: ${requested}. This model's maximum context length is ${model.contextWindow} tokens and the prompt uses ${promptTokens}, so at most ${room} completion tokens fit.`,
      param,
      "context_length_exceeded",
    );
  }
  return requested ?? room;
}
