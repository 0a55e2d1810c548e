import { type FormatName, format } from './format';

export const CHART_WIDTH = 300;
export const CHART_HEIGHT = 80;

/**
 * `x,y` pairs for an SVG polyline over a fixed box; missing values are skipped. The scale
 * is `max` when given (a rate: 1), else the largest value or the threshold, whichever is
 * higher. live.ts carries the same function for the browser; keep the two in step.
 */
export function linePoints(values: (number | null)[], max?: number, threshold?: number): string {
  const top = max ?? Math.max(1, threshold ?? 0, ...values.map((v) => v ?? 0));
  const step = values.length > 1 ? CHART_WIDTH / (values.length - 1) : 0;
  const points = values
    .map((v, i) => (v == null ? '' : `${(i * step).toFixed(1)},${(CHART_HEIGHT - (Math.min(v, top) / top) * CHART_HEIGHT).toFixed(1)}`))
    .filter(Boolean);
  // A lone minute becomes a zero-length segment, which the round line cap draws as a dot.
  return (points.length === 1 ? [points[0], points[0]] : points).join(' ');
}

function thresholdY(threshold: number | undefined, values: (number | null)[], max?: number): number | null {
  if (threshold === undefined) return null;
  const top = max ?? Math.max(1, threshold, ...values.map((v) => v ?? 0));
  return CHART_HEIGHT - (threshold / top) * CHART_HEIGHT;
}

interface LineChartProps {
  /** Key of a timeline entry in /api/v1/metrics (`requests`, `p95Ms`, `cacheHitRate`). */
  series: string;
  title: string;
  values: (number | null)[];
  unit: FormatName;
  max?: number;
  /** Drawn as a dashed line: the alert threshold of docs/operations.md. */
  threshold?: number;
}

/** A small inline SVG line chart; live.ts redraws it from the same `data-*` attributes. */
export function LineChart({ series, title, values, unit, max, threshold }: LineChartProps) {
  const latest = [...values].reverse().find((v) => v != null) ?? null;
  const y = thresholdY(threshold, values, max);
  const label = `${title}, last ${values.length} minutes; latest ${format[unit](latest)}${threshold === undefined ? '' : `; alert at ${format[unit](threshold)}`}`;
  return (
    <figure class="chart">
      <figcaption>
        {title}{' '}
        <span data-latest={series} data-unit={unit}>
          {format[unit](latest)}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={label}
        data-series={series}
        data-unit={unit}
        data-max={max ?? ''}
        data-threshold={threshold ?? ''}
      >
        <title>{label}</title>
        {y === null ? null : <line class="threshold" x1="0" x2={CHART_WIDTH} y1={y.toFixed(1)} y2={y.toFixed(1)} />}
        <polyline class="line" points={linePoints(values, max, threshold)} />
      </svg>
    </figure>
  );
}
