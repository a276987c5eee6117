import type { MetricsRecord } from '../runtime/run-dir';

export interface ChartSpec {
  /** File-safe id, e.g. "score". */
  id: string;
  title: string;
  /** A Chart.js configuration (line chart over steps). */
  config: Record<string, unknown>;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const TITLES: Record<string, string> = {
  score: 'Score (combined reward)',
  reward: 'Reward sources',
  kl: 'KL to the reference and β',
  loss: 'Losses',
  eval: 'Evaluation',
  entropy: 'Entropy',
  perf: 'Timing',
};

/** The order groups appear in a report. */
const ORDER = ['score', 'reward', 'eval', 'kl', 'loss', 'entropy'];

/**
 * One chart per metric group (the part of the key before "/"), every series over steps.
 * `kl/beta` gets its own axis because it lives on another scale than KL in nats.
 */
export function chartsFromMetrics(rows: readonly MetricsRecord[], extra: Record<string, Array<{ step: number; value: number }>> = {}): ChartSpec[] {
  const groups = new Map<string, Map<string, Array<{ x: number; y: number }>>>();
  const add = (key: string, x: number, y: number): void => {
    const group = key.includes('/') ? key.slice(0, key.indexOf('/')) : key;
    if (!groups.has(group)) groups.set(group, new Map());
    const g = groups.get(group)!;
    if (!g.has(key)) g.set(key, []);
    g.get(key)!.push({ x, y });
  };
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      if (k === 'step' || k === 'time' || typeof v !== 'number' || !Number.isFinite(v)) continue;
      add(k, r.step + 1, v);
    }
  }
  for (const [k, pts] of Object.entries(extra)) for (const p of pts) add(k, p.step, p.value);
  const names = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return names.map((group) => {
    const series = [...groups.get(group)!.entries()];
    const datasets = series.map(([key, pts], i) => ({
      label: key,
      data: pts,
      borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length],
      pointRadius: pts.length > 60 ? 0 : 2,
      borderWidth: 1.5,
      yAxisID: key === 'kl/beta' ? 'y2' : 'y',
    }));
    const scales: Record<string, unknown> = {
      x: { type: 'linear', title: { display: true, text: 'step' } },
      y: { type: 'linear', title: { display: true, text: group } },
    };
    if (series.some(([k]) => k === 'kl/beta')) scales.y2 = { type: 'linear', position: 'right', title: { display: true, text: 'β' }, grid: { drawOnChartArea: false } };
    return {
      id: group.replace(/[^A-Za-z0-9_-]/g, '_'),
      title: TITLES[group] ?? group,
      config: {
        type: 'line',
        data: { datasets },
        options: { responsive: false, animation: false, parsing: false, plugins: { title: { display: true, text: TITLES[group] ?? group }, legend: { position: 'bottom' } }, scales },
      },
    };
  });
}

function rank(group: string): number {
  const i = ORDER.indexOf(group);
  return i < 0 ? ORDER.length + (group === 'perf' ? 1 : 0) : i;
}

/** Render one chart to PNG with Chart.js on a server-side canvas (skia). */
export function renderPng(spec: ChartSpec, width = 900, height = 420): Buffer {
  const { createCanvas } = require('@napi-rs/canvas') as typeof import('@napi-rs/canvas');
  // chart.js ships a CommonJS build for require(); its types describe the ES module
  const { Chart, registerables } = require('chart.js') as { Chart: new (ctx: unknown, config: unknown) => { destroy(): void }; registerables: unknown[] } & { Chart: { register(...items: unknown[]): void } };
  Chart.register(...registerables);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const background = {
    id: 'white-background',
    beforeDraw(chart: { ctx: CanvasRenderingContext2D; width: number; height: number }) {
      chart.ctx.save();
      chart.ctx.fillStyle = '#ffffff';
      chart.ctx.fillRect(0, 0, chart.width, chart.height);
      chart.ctx.restore();
    },
  };
  const config = structuredClone(spec.config) as any;
  config.plugins = [background];
  const chart = new Chart(ctx as unknown as CanvasRenderingContext2D, config);
  const png = canvas.toBuffer('image/png');
  chart.destroy();
  return png;
}
