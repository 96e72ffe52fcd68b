import { useEffect, useRef } from 'preact/hooks';
import type { AlignedData, Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export type ChartSeries = { label: string; color: string; values: number[] };

/** Whether this browser can draw on a canvas (jsdom in unit tests cannot: the figures table stands in). */
function canDraw(): boolean {
  try {
    return !!document.createElement('canvas').getContext('2d');
  } catch {
    return false;
  }
}

const DAY = 86_400;

/**
 * Bars per local day with uPlot (a ~50 KB canvas chart, see the commit that added it). With
 * `stacked`, each series is drawn on top of the ones before it; the legend is ours, in HTML
 * (uPlot's own would show the stacked sums).
 */
export function BarChart({ days, series, stacked = false, format, label, testId }: { days: string[]; series: ChartSeries[]; stacked?: boolean; format: (v: number) => string; label: string; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !canDraw()) return;
    let stop = () => {};
    let gone = false;
    // Loaded on first draw (uPlot reads matchMedia when imported, which jsdom lacks).
    void import('uplot').then(({ default: uPlot }) => {
      if (gone) return;
      // Days as UTC noon timestamps: the axis shows calendar days, whatever the viewer's zone.
      const xs = days.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
      // Stacked: series i is drawn up to the sum of series 0..i.
      const tops = series.map((_, i) => xs.map((__, j) => series.slice(0, i + 1).reduce((n, s) => n + s.values[j]!, 0)));
      // Drawn from the tallest stack down, so each series shows as its own band.
      const order = stacked ? [...series.keys()].reverse() : [...series.keys()];
      const bars = uPlot.paths.bars!({ size: [0.7, 48], align: 0 });
      const opts: Options = {
        width: Math.max(el.clientWidth, 320),
        height: 220,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true, range: (_u, min, max) => [min - DAY / 2, max + DAY / 2] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { stroke: '#6b6780', grid: { show: false }, values: (_u, splits) => splits.map((s) => new Date(s * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })) },
          { stroke: '#6b6780', grid: { stroke: '#eeeaf4' }, size: 60, values: (_u, splits) => splits.map((s) => format(s)) },
        ],
        series: [{}, ...order.map((i) => ({ label: series[i]!.label, fill: series[i]!.color, stroke: series[i]!.color, width: 0, paths: bars, points: { show: false } }))],
      };
      const data = [xs, ...order.map((i) => (stacked ? tops[i]! : series[i]!.values))] as AlignedData;
      const chart = new uPlot(opts, data, el);
      const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 320), height: 220 }));
      resize.observe(el);
      stop = () => {
        resize.disconnect();
        chart.destroy();
      };
    });
    return () => {
      gone = true;
      stop();
    };
  }, [days, series, stacked]);
  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>
        <span class="chart-title">{label}</span>
        <span class="chart-legend">
          {series.map((s) => (
            <span key={s.label} class="chart-legend-item">
              <span class="chart-swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <div ref={box} class="chart-canvas" role="img" aria-label={label} />
    </figure>
  );
}
