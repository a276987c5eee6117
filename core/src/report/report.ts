import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, RunDirectory, atomicWriteFileSync } from '../runtime/run-dir';
import type { Manifest } from '../runtime/manifest';
import { chartsFromMetrics, renderPng } from './charts';
import { renderHtml } from './html';

/** Files the evaluation command leaves in a run directory, read by the report when present. */
export const EVAL_FILE = 'eval.json';

export interface EvalResultRow {
  model: string;
  step?: number;
  prompts: number;
  scorers: Record<string, { mean: number; flagged?: number; rate?: number; ciLow?: number; ciHigh?: number }>;
  klToBase?: number;
  perplexity?: number;
}

/** Write `report/index.html` and `report/charts/*.png` for a run directory. */
export function writeReport(runPath: string, outDir?: string): { html: string; pngs: string[] } {
  const run = new RunDirectory(runPath);
  const rows = run.readMetrics();
  const manifest = fs.existsSync(run.file(RUN_FILES.manifest)) ? run.readJson<Manifest>(RUN_FILES.manifest) : undefined;
  const out = outDir ?? run.file('report');
  fs.mkdirSync(path.join(out, 'charts'), { recursive: true });

  const evals: EvalResultRow[] = fs.existsSync(run.file(EVAL_FILE)) ? (run.readJson<{ results: EvalResultRow[] }>(EVAL_FILE).results ?? []) : [];
  const extra: Record<string, Array<{ step: number; value: number }>> = {};
  for (const e of evals) {
    if (e.step === undefined) continue;
    for (const [name, s] of Object.entries(e.scorers)) {
      (extra[`eval/${name}${s.rate !== undefined ? '_rate' : '_mean'}`] ??= []).push({ step: e.step, value: s.rate ?? s.mean });
    }
  }
  const charts = chartsFromMetrics(rows, extra);
  const pngs: string[] = [];
  for (const c of charts) {
    const file = path.join(out, 'charts', `${c.id}.png`);
    atomicWriteFileSync(file, renderPng(c));
    pngs.push(file);
  }
  const samples: Array<{ step: number; prompt: string; completion: string; score?: number }> = [];
  const samplesFile = run.file('samples.jsonl');
  if (fs.existsSync(samplesFile)) {
    const all = fs.readFileSync(samplesFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: number; prompt: string; completion: string; score?: number });
    const pick = all.length <= 12 ? all : [...all.slice(0, 4), ...all.slice(Math.floor(all.length / 2) - 2, Math.floor(all.length / 2) + 2), ...all.slice(-4)];
    samples.push(...pick);
  }
  const facts: Array<[string, string]> = [
    ['run', path.basename(run.path)],
    ['steps logged', String(rows.length)],
  ];
  if (manifest) {
    facts.push(['recipe', manifest.recipeFile], ['job', manifest.job], ['seed', String(manifest.seed)], ['backend', `${manifest.backend}${manifest.nativeKernels.length ? ' + native ' + manifest.nativeKernels.join(',') : ''}`], ['started', manifest.startedAt], ['node / core / tfjs', `${manifest.versions.node} / ${manifest.versions.core} / ${manifest.versions.tfjs}`]);
  }
  const tables = evals.length
    ? [
        {
          title: 'Evaluation',
          header: ['model', 'prompts', ...Object.keys(evals[0].scorers).flatMap((s) => [`${s} rate (95% CI)`, `${s} mean`]), 'KL to base', 'perplexity'],
          rows: evals.map((e) => [
            e.model,
            String(e.prompts),
            ...Object.values(e.scorers).flatMap((s) => [s.rate !== undefined ? `${(s.rate * 100).toFixed(2)}% (${((s.ciLow ?? 0) * 100).toFixed(2)}–${((s.ciHigh ?? 0) * 100).toFixed(2)}), ${s.flagged}/${e.prompts}` : '', s.mean.toFixed(4)]),
            e.klToBase === undefined ? '' : e.klToBase.toFixed(3),
            e.perplexity === undefined ? '' : e.perplexity.toFixed(2),
          ]),
        },
      ]
    : [];
  const html = path.join(out, 'index.html');
  atomicWriteFileSync(html, renderHtml({ title: `Run report: ${manifest?.recipeName ?? path.basename(run.path)}`, facts, charts, tables, samples }));
  return { html, pngs };
}
