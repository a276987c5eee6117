import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunDirectory } from '../runtime/run-dir';
import { EVAL_FILE } from './report';
import { comparisonCharts, emaSmooth, writeComparison } from './compare';
import { rlhf } from '../testing';

/** A tiny run directory: metrics, an evaluation and its completions. */
function tinyRun(root: string, name: string, scores: number[], finalFlags: boolean[], completionWord: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  const run = new RunDirectory(dir);
  scores.forEach((s, i) => run.appendMetrics(i, { 'score/mean': s, 'kl/mean': i, 'perf/step_s': 2, 'perf/generate_s': 1 }));
  const prompts = ['p0', 'p1', 'p2'];
  const rate = (flags: boolean[]) => flags.filter(Boolean).length / flags.length;
  const baseFlags = [false, true, true];
  run.writeJson(EVAL_FILE, {
    results: [
      { model: 'base', step: 0, prompts: 3, scorers: { toxic: { mean: rate(baseFlags), flagged: 2, rate: rate(baseFlags), ciLow: 0.2, ciHigh: 0.9 } }, klToBase: 0, perplexity: 80 },
      { model: 'final', step: scores.length, prompts: 3, scorers: { toxic: { mean: rate(finalFlags), flagged: finalFlags.filter(Boolean).length, rate: rate(finalFlags), ciLow: 0.01, ciHigh: 0.6 } }, klToBase: 2.5, perplexity: 88 },
    ],
  });
  const lines = [
    ...prompts.map((p, i) => ({ model: 'base', promptId: p, prompt: `prompt ${p}`, completion: ` base said ${p}`, klToBase: 0, toxic: baseFlags[i] })),
    ...prompts.map((p, i) => ({ model: 'final', promptId: p, prompt: `prompt ${p}`, completion: ` ${completionWord} ${p}`, klToBase: 2, toxic: finalFlags[i] })),
  ];
  fs.writeFileSync(path.join(dir, 'eval-completions.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

describe('run comparison', () => {
  // α = 0.5 on [4, 0, 2]: s_0 = 4, s_1 = 0.5·4 + 0.5·0 = 2, s_2 = 0.5·2 + 0.5·2 = 2
  test('EMA smoothing', () => {
    expect(emaSmooth([4, 0, 2], 0.5)).toEqual([4, 2, 2]);
    expect(emaSmooth([4, 0, 2], 0)).toEqual([4, 0, 2]);
    // α = 0.9 on [10, 0]: 0.9·10 = 9
    expect(emaSmooth([10, 0], 0.9)[1]).toBeCloseTo(9, 12);
  });

  test('one chart per metric with one smoothed line per run; timings other than perf/step_s left out', () => {
    const charts = comparisonCharts(
      [
        { label: 'a', rows: [0, 1].map((s) => ({ step: s, time: 't', 'score/mean': s * 4, 'perf/generate_s': 1, 'perf/step_s': 1, 'loss/value': 1 })) },
        { label: 'b', rows: [0, 1].map((s) => ({ step: s, time: 't', 'score/mean': 1, 'perf/step_s': 1 })) },
      ],
      0.5,
    );
    expect(charts.map((c) => c.id)).toEqual(['score_mean', 'loss_value', 'perf_step_s']);
    const ds = (charts[0].config as { data: { datasets: Array<{ label: string; data: Array<{ x: number; y: number }> }> } }).data.datasets;
    expect(ds.map((d) => d.label)).toEqual(['a', 'b']);
    expect(ds[0].data).toEqual([{ x: 1, y: 0 }, { x: 2, y: 2 }]);
    // a metric only one run has still gets its chart, with an empty line for the other
    const value = (charts[1].config as { data: { datasets: Array<{ data: unknown[] }> } }).data.datasets;
    expect(value.map((d) => d.data.length)).toEqual([2, 0]);
  });

  test('writes a page with the runs, their evaluations side by side and held-out completions, and PNG charts', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-compare-'));
    const a = tinyRun(root, 'ppo', [0, 1, 2], [false, false, true], 'calm');
    const b = tinyRun(root, 'grpo', [0, 2, 3], [false, false, false], 'quiet');
    const res = writeComparison([a, b], path.join(root, 'out'), { smooth: 0.9, examples: 2 });
    const html = fs.readFileSync(res.html, 'utf8');
    // wall time: 3 steps × 2 s
    expect(html).toContain('<td>ppo</td><td></td><td></td><td></td><td>3</td><td>6.0</td>');
    // rates side by side, with the change from the base: 2/3 → 1/3 is −50%, → 0 is −100%
    expect(html).toContain('33.33% [1.00%, 60.00%] (−50.0%)');
    expect(html).toContain('0.00% [1.00%, 60.00%] (−100.0%)');
    expect(html).toContain('88.00 (+10.0%)');
    // the two prompts whose base completion was flagged come first
    expect(html).toContain('prompt p1');
    expect(html).toContain('prompt p2');
    expect(html).not.toContain('prompt p0');
    expect(html).toContain(' calm p2\n[toxic: flagged]');
    expect(html).toContain(' quiet p2\n[toxic: ok]');
    expect(html).toContain('EMA α = 0.9');
    expect(res.pngs.map((p) => path.basename(p)).sort()).toEqual(['kl_mean.png', 'perf_step_s.png', 'score_mean.png']);
    for (const p of res.pngs) expect(fs.readFileSync(p).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  });

  test('rlhf report with several runs compares them; a smoothing weight outside [0, 1) is a usage error', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-compare-cli-'));
    for (const [name, word] of [['ppo', 'calm'], ['rloo', 'still']]) {
      const dir = tinyRun(root, name, [0, 1], [false, false, true], word);
      // what makes a folder a run directory for the CLI
      fs.writeFileSync(path.join(dir, 'recipe.resolved.json'), JSON.stringify({ algorithm: { use: name } }));
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ recipeName: `detox-${name}`, seed: 3 }));
    }
    const ok = await rlhf(['report', 'ppo', 'rloo', '--smooth', '0.5'], root);
    expect([ok.code, ok.err]).toEqual([0, '']);
    expect(ok.out).toContain('comparing 2 runs');
    const html = fs.readFileSync(path.join(root, 'compare-report', 'index.html'), 'utf8');
    expect(html).toContain('<canvas id="chart-score_mean"');
    expect(html).toContain('<td>rloo</td><td>detox-rloo</td><td>rloo</td><td>3</td><td>2</td><td>4.0</td>');
    const bad = await rlhf(['report', 'ppo', 'rloo', '--smooth', '1'], root);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--smooth is 1, but the EMA weight must be in [0, 1)');
  });
});
