import { bucketLabel, type TimePoint } from "../lib/series";

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { top: 12, right: 8, bottom: 28, left: 56 };

/** Round axis maxima: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((m) => m * power >= value) ?? 10) * power;
}

/**
 * A time bar chart in plain SVG: one bar per bucket, a y axis with three gridlines, the bucket times below.
 * Values are converted for drawing only (`toNumber`); the exact amount of each bar is in its tooltip.
 */
export function BarChart({
  points,
  width: bucketWidth,
  toNumber,
  format,
  label,
}: {
  points: TimePoint[];
  width: number;
  toNumber(value: bigint): number;
  format(value: bigint): string;
  label: string;
}) {
  if (points.length === 0) return <p className="muted chart-empty">Nothing to chart yet.</p>;
  const values = points.map((p) => toNumber(p.value));
  const max = niceMax(Math.max(...values));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / points.length;
  const barW = Math.min(40, Math.max(2, slot * 0.7));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const labelEvery = Math.ceil(points.length / 6);
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label}>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(max * f)} y2={y(max * f)} className="grid" />
          <text x={PAD.left - 6} y={y(max * f) + 4} textAnchor="end" className="axis">
            {(max * f).toLocaleString(undefined, { maximumSignificantDigits: 3 })}
          </text>
        </g>
      ))}
      {points.map((p, i) => {
        const v = values[i] ?? 0;
        const x = PAD.left + i * slot + (slot - barW) / 2;
        return (
          <g key={p.start}>
            <rect x={x} y={y(v)} width={barW} height={Math.max(0, PAD.top + plotH - y(v))} rx={2} className="bar">
              <title>{`${bucketLabel(p.start, bucketWidth)}: ${format(p.value)}`}</title>
            </rect>
            {i % labelEvery === 0 && (
              <text x={x + barW / 2} y={HEIGHT - 8} textAnchor="middle" className="axis">
                {bucketLabel(p.start, bucketWidth)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
