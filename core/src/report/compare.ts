import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, RunDirectory, atomicWriteFileSync, type MetricsRecord } from '../runtime/run-dir';
import type { Manifest } from '../runtime/manifest';
import { renderPng, type ChartSpec } from './charts';
import { renderHtml } from './html';
import { EVAL_FILE, type EvalResultRow } from './report';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Metrics drawn first, in this order; the rest follow by name. */
const FIRST = ['score/mean', 'kl/mean', 'kl/beta', 'ptx/heldout_perplexity', 'loss/ptx', 'entropy', 'loss/policy'];

/**
 * Exponential moving average as TensorBoard's smoothing slider draws it, without its debiasing:
 * s_0 = x_0, s_t = α·s_{t−1} + (1 − α)·x_t. α = 0 returns the series unchanged.
 */
export function emaSmooth(ys: readonly number[], alpha: number): number[] {
  const out: number[] = [];
  let s = 0;
  ys.forEach((y, i) => {
    s = i === 0 ? y : alpha * s + (1 - alpha) * y;
    out.push(s);
  });
  return out;
}

export interface RunSeries {
  label: string;
  rows: readonly MetricsRecord[];
}

/**
 * One chart per metric, one line per run (x: the 1-based step, as in the single-run report), each
 * series smoothed by {@link emaSmooth} with `smooth`. Timing metrics other than perf/step_s are left out.
 */
export function comparisonCharts(runs: readonly RunSeries[], smooth = 0): ChartSpec[] {
  const keys = new Set<string>();
  for (const r of runs) for (const row of r.rows) for (const [k, v] of Object.entries(row)) if (k !== 'step' && k !== 'time' && typeof v === 'number') keys.add(k);
  const rank = (k: string) => (FIRST.includes(k) ? FIRST.indexOf(k) : FIRST.length + (k.startsWith('perf/') ? 1 : 0));
  const ordered = [...keys].filter((k) => !k.startsWith('perf/') || k === 'perf/step_s').sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return ordered.map((key) => {
    const datasets = runs.map((r, i) => {
      const pts = r.rows.filter((row) => typeof row[key] === 'number' && Number.isFinite(row[key] as number));
      const ys = emaSmooth(pts.map((row) => row[key] as number), smooth);
      return {
        label: r.label,
        data: pts.map((row, j) => ({ x: row.step + 1, y: ys[j] })),
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: pts.length > 60 ? 0 : 2,
        borderWidth: 1.5,
      };
    });
    const title = smooth > 0 ? `${key} (EMA ${smooth})` : key;
    return {
      id: key.replace(/[^A-Za-z0-9_-]/g, '_'),
      title,
      config: {
        type: 'line',
        data: { datasets },
        options: {
          responsive: false,
          animation: false,
          parsing: false,
          plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
          scales: { x: { type: 'linear', title: { display: true, text: 'step' } }, y: { type: 'linear', title: { display: true, text: key } } },
        },
      },
    };
  });
}

interface CompletionLine {
  model: string;
  promptId: string;
  prompt: string;
  completion: string;
  [scorer: string]: unknown;
}

const NOT_SCORES = new Set(['model', 'promptId', 'prompt', 'completion', 'klToBase']);

function scoresOf(line: CompletionLine): string {
  return Object.entries(line)
    .filter(([k]) => !NOT_SCORES.has(k))
    .map(([k, v]) => `${k}: ${typeof v === 'boolean' ? (v ? 'flagged' : 'ok') : typeof v === 'number' ? v.toFixed(3) : String(v)}`)
    .join(', ');
}

function readCompletions(run: RunDirectory): CompletionLine[] {
  const file = run.file(EVAL_FILE.replace(/\.json$/, '') + '-completions.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CompletionLine);
}

/**
 * Held-out prompts for the comparison: prompts every run evaluated its final policy on, those whose
 * base completion a scorer flagged first (where detoxification shows), then in file order; `n` at most.
 */
export function pickExamples(base: readonly CompletionLine[], finals: ReadonlyArray<readonly CompletionLine[]>, n: number): string[] {
  const inAll = (id: string) => finals.every((f) => f.some((l) => l.promptId === id));
  const flagged = (l: CompletionLine) => Object.entries(l).some(([k, v]) => !NOT_SCORES.has(k) && v === true);
  const ids = base.filter((l) => inAll(l.promptId));
  return [...ids.filter(flagged), ...ids.filter((l) => !flagged(l))].slice(0, n).map((l) => l.promptId);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/**
 * `rlhf report runA runB …`: one page that compares runs. Their curves overlaid (one chart per
 * metric, optionally EMA-smoothed), their evaluation tables side by side (rates with 95% intervals
 * and the relative change from each run's base, KL to the base, perplexity), wall time, and a few
 * held-out prompts with the base completion and each run's trained completion with their scores
 * (from `rlhf eval`'s eval-completions.jsonl, when the runs have one).
 */
export function writeComparison(runPaths: readonly string[], outDir: string, opts: { smooth?: number; examples?: number } = {}): { html: string; pngs: string[] } {
  const runs = runPaths.map((p) => new RunDirectory(p));
  const names = runs.map((r) => path.basename(r.path));
  const labels = names.map((n, i) => (names.indexOf(n) !== names.lastIndexOf(n) ? `${path.basename(path.dirname(runs[i].path))}/${n}` : n));
  const series = runs.map((r, i) => ({ label: labels[i], rows: r.readMetrics() }));
  fs.mkdirSync(path.join(outDir, 'charts'), { recursive: true });
  const charts = comparisonCharts(series, opts.smooth ?? 0);
  const pngs: string[] = [];
  for (const c of charts) {
    const file = path.join(outDir, 'charts', `${c.id}.png`);
    atomicWriteFileSync(file, renderPng(c));
    pngs.push(file);
  }

  const facts: Array<[string, string]> = [['runs', labels.join(', ')]];
  if (opts.smooth) facts.push(['smoothing', `EMA α = ${opts.smooth} (s_t = α·s_{t−1} + (1−α)·x_t)`]);
  const runRows = runs.map((r, i) => {
    const manifest = fs.existsSync(r.file(RUN_FILES.manifest)) ? r.readJson<Manifest>(RUN_FILES.manifest) : undefined;
    const recipe = fs.existsSync(r.file(RUN_FILES.recipe)) ? r.readJson<{ algorithm?: { use: string } }>(RUN_FILES.recipe) : undefined;
    const wall = series[i].rows.reduce((a, row) => a + (typeof row['perf/step_s'] === 'number' ? (row['perf/step_s'] as number) : 0), 0);
    return [labels[i], manifest?.recipeName ?? '', recipe?.algorithm?.use ?? '', manifest ? String(manifest.seed) : '', String(series[i].rows.length), wall.toFixed(1)];
  });
  const tables: Array<{ title: string; header: string[]; rows: string[][] }> = [{ title: 'Runs', header: ['run', 'recipe', 'algorithm', 'seed', 'steps', 'training time (s, Σ perf/step_s)'], rows: runRows }];

  const evals = runs.map((r) => (fs.existsSync(r.file(EVAL_FILE)) ? (r.readJson<{ results: EvalResultRow[] }>(EVAL_FILE).results ?? []) : []));
  const scorers = [...new Set(evals.flatMap((e) => e.flatMap((row) => Object.keys(row.scorers))))];
  if (evals.some((e) => e.length)) {
    const rows: string[][] = [];
    evals.forEach((e, i) => {
      const base = e.find((row) => row.model === 'base');
      for (const row of e) {
        rows.push([
          labels[i],
          row.model,
          String(row.prompts),
          ...scorers.map((s) => {
            const v = row.scorers[s];
            if (!v) return '';
            if (v.rate === undefined) return v.mean.toFixed(4);
            const b = base?.scorers[s]?.rate;
            const change = row !== base && b ? ` (${v.rate >= b ? '+' : '−'}${Math.abs(((v.rate - b) / b) * 100).toFixed(1)}%)` : '';
            return `${pct(v.rate)} [${pct(v.ciLow ?? 0)}, ${pct(v.ciHigh ?? 0)}]${change}`;
          }),
          row.klToBase === undefined ? '' : row.klToBase.toFixed(3),
          row.perplexity === undefined ? '' : `${row.perplexity.toFixed(2)}${row !== base && base?.perplexity ? ` (${row.perplexity >= base.perplexity ? '+' : '−'}${Math.abs(((row.perplexity - base.perplexity) / base.perplexity) * 100).toFixed(1)}%)` : ''}`,
        ]);
      }
    });
    tables.push({ title: 'Evaluation (rates with 95% Wilson intervals; change relative to each run\'s base)', header: ['run', 'model', 'prompts', ...scorers, 'KL to base', 'perplexity'], rows });
  }

  const completions = runs.map(readCompletions);
  const n = opts.examples ?? 6;
  if (n > 0 && completions.every((c) => c.length)) {
    const base = completions[0].filter((l) => l.model === 'base');
    const finals = completions.map((c) => c.filter((l) => l.model !== 'base'));
    const ids = pickExamples(base, finals, n);
    const rows = ids.map((id) => {
      const b = base.find((l) => l.promptId === id)!;
      return [b.prompt, `${b.completion}\n[${scoresOf(b)}]`, ...finals.map((f) => {
        const l = f.find((x) => x.promptId === id)!;
        return `${l.completion}\n[${scoresOf(l)}]`;
      })];
    });
    if (rows.length) tables.push({ title: 'Held-out prompts: base and trained completions', header: ['prompt', `base (${labels[0]})`, ...labels], rows });
  }

  const html = path.join(outDir, 'index.html');
  atomicWriteFileSync(html, renderHtml({ title: `Comparison of ${runs.length} runs`, facts, charts, tables, samples: [] }));
  return { html, pngs };
}
