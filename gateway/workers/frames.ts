/**
 * Parsing and validating the frames a worker sends. Every frame is checked against `workerFrameSchema`
 * (protocol/worker.ts); `delta` frames, which come many times a second per job, are checked first by hand
 * with the same rules (no zod parse per token), and a delta frame the hand check refuses goes to the schema
 * for its verdict and its error message, so the two can never disagree on what is accepted.
 */
import { JOB_WINDOW, type WorkerFrame, workerFrameSchema } from "../../protocol/worker.js";

type DeltaFrame = Extract<WorkerFrame, { t: "delta" }>;

const DELTA_KEYS = new Set(["i", "text", "finish", "logprobs"]);

/** True when `value` is a `delta` frame exactly as the schema accepts it (strict keys, bounds). */
export function isDeltaFrame(value: unknown): value is DeltaFrame {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const frame = value as Record<string, unknown>;
  for (const key in frame) if (key !== "t" && key !== "id" && key !== "d") return false;
  const { id, d } = frame;
  if (frame.t !== "delta") return false;
  if (typeof id !== "string" || id.length < 1 || id.length > 64) return false;
  if (!Array.isArray(d) || d.length < 1 || d.length > JOB_WINDOW) return false;
  for (const entry of d) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return false;
    for (const key in entry) if (!DELTA_KEYS.has(key)) return false;
    const { i, text, finish } = entry as Record<string, unknown>;
    if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i > 127) return false;
    if (typeof text !== "string" || text.length > 65_536) return false;
    if ("finish" in entry && finish !== "stop" && finish !== "length") return false;
  }
  return true;
}

/** Parses and validates one frame from a worker, or says why it is not a valid frame. */
export function parseWorkerFrame(data: unknown, isBinary: boolean): { frame: WorkerFrame } | { error: string } {
  if (isBinary) return { error: "a binary frame" };
  let json: unknown;
  try {
    json = JSON.parse(String(data));
  } catch {
    return { error: "a frame that is not JSON" };
  }
  if (isDeltaFrame(json)) return { frame: json };
  const parsed = workerFrameSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `a malformed frame (${issue?.path.join(".") || "frame"}: ${issue?.message})` };
  }
  return { frame: parsed.data };
}
