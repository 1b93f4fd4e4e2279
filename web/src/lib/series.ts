/** One bar of a time chart: the start of its bucket and the sum of the amounts in it. */
export type TimePoint = { start: number; value: bigint };

const MINUTE = 60_000;
/** Bucket widths from fine to coarse; the finest that gives at most `maxBuckets` bars is used. */
const WIDTHS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE, 6 * 60 * MINUTE, 24 * 60 * MINUTE, 7 * 24 * 60 * MINUTE];

/**
 * Sums amounts into consecutive time buckets, empty buckets included, ending with the bucket of `now`; amounts older
 * than the first bucket are left out.
 * @param items amounts (base units) at times (ms since the epoch).
 * @returns the buckets, oldest first, and their width in ms.
 */
export function bucketByTime(
  items: readonly { at: number; value: bigint }[],
  {
    now = Date.now(),
    minBuckets = 12,
    maxBuckets = 24,
  }: { now?: number; minBuckets?: number; maxBuckets?: number } = {},
): { points: TimePoint[]; width: number } {
  if (items.length === 0) return { points: [], width: MINUTE };
  const first = Math.min(...items.map((i) => i.at));
  const span = Math.max(now - first, MINUTE);
  const width = WIDTHS.find((w) => span / w < maxBuckets) ?? (WIDTHS.at(-1) as number);
  const end = Math.floor(now / width) * width;
  // At least `minBuckets` bars, so that a few recent jobs still read as a timeline; at most `maxBuckets`.
  const earliest = Math.min(Math.floor(first / width) * width, end - (minBuckets - 1) * width);
  const start = Math.max(earliest, end - (maxBuckets - 1) * width);
  const points: TimePoint[] = [];
  for (let t = start; t <= end; t += width) points.push({ start: t, value: 0n });
  for (const item of items) {
    const index = Math.floor((item.at - start) / width);
    const point = points[index];
    if (point) point.value += item.value;
  }
  return { points, width };
}

/** A label for a bucket's start, as precise as its width needs. */
export function bucketLabel(start: number, width: number): string {
  const date = new Date(start);
  if (width >= 24 * 60 * MINUTE) return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}
