/**
 * Progress of a long audit on stderr: one line redrawn in place on a terminal (at most 10 times a
 * second); otherwise a plain line every `every` batches. Silent with `--quiet`.
 */
export type Progress = {
  /** After each batch. */
  batch(done: number, total: number, receipts: number): void;
  /** A phase name ("reading the chain", "checking reward roots"). */
  phase(text: string): void;
  /** Clears the in-place line before the report. */
  done(): void;
};

/** @example const progress = createProgress({ quiet: false }); progress.batch(12, 40, 38_000) */
export function createProgress(opts: { quiet: boolean; stream?: NodeJS.WriteStream; every?: number }): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const every = opts.every ?? 10;
  let last = 0;
  let drawn = false;
  const write = (text: string) => {
    if (opts.quiet) return;
    if (tty) {
      stream.write(`\r\x1b[K${text}`);
      drawn = true;
    } else stream.write(`${text}\n`);
  };
  return {
    batch(done, total, receipts) {
      const text = `batch ${done}/${total}, ${receipts.toLocaleString("en-US")} receipts checked`;
      if (tty) {
        const now = Date.now();
        if (now - last < 100 && done < total) return;
        last = now;
        write(text);
      } else if (done % every === 0 || done === total) write(text);
    },
    phase(text) {
      write(text);
    },
    done() {
      if (drawn && !opts.quiet) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}
