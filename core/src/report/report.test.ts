import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunDirectory } from '../runtime/run-dir';
import { writeReport, EVAL_FILE } from './report';
import { chartsFromMetrics } from './charts';

describe('run report', () => {
  test('charts group metrics by prefix, put β on its own axis, and leave timing last', () => {
    const rows = [0, 1, 2].map((s) => ({ step: s, time: 't', 'score/mean': s, 'kl/mean': 2 * s, 'kl/beta': 0.1, 'loss/policy': -s, 'perf/step_s': 1 }));
    const charts = chartsFromMetrics(rows);
    expect(charts.map((c) => c.id)).toEqual(['score', 'kl', 'loss', 'perf']);
    const kl = charts[1].config as { data: { datasets: Array<{ label: string; yAxisID: string; data: Array<{ x: number; y: number }> }> } };
    expect(kl.data.datasets.map((d) => [d.label, d.yAxisID])).toEqual([
      ['kl/mean', 'y'],
      ['kl/beta', 'y2'],
    ]);
    // steps are 1-based on the x axis: step 0 is the first iteration done
    expect(kl.data.datasets[0].data).toEqual([
      { x: 1, y: 0 },
      { x: 2, y: 2 },
      { x: 3, y: 4 },
    ]);
  });

  test('writes an HTML page with the charts, the evaluation table and PNG files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-report-'));
    const run = new RunDirectory(dir);
    for (let s = 0; s < 5; s++) run.appendMetrics(s, { 'score/mean': s / 5, 'kl/mean': s, 'kl/beta': 0.2 });
    fs.writeFileSync(path.join(dir, 'samples.jsonl'), JSON.stringify({ step: 0, prompt: 'The <b>cat', completion: ' sat', score: 0.5 }) + '\n');
    run.writeJson(EVAL_FILE, { results: [{ model: 'base', step: 0, prompts: 100, scorers: { toxic: { mean: 0.1, flagged: 10, rate: 0.1, ciLow: 0.05, ciHigh: 0.17 } } }, { model: 'final', step: 5, prompts: 100, scorers: { toxic: { mean: 0.02, flagged: 2, rate: 0.02, ciLow: 0.005, ciHigh: 0.07 } } }] });
    const res = writeReport(dir);
    const html = fs.readFileSync(res.html, 'utf8');
    expect(html).toContain('<canvas id="chart-score"');
    expect(html).toContain('<canvas id="chart-eval"');
    expect(html).toContain('10.00% (5.00–17.00), 10/100');
    expect(html).toContain('The &lt;b&gt;cat'); // text from runs is escaped
    expect(html).toContain('new Chart(');
    expect(res.pngs.map((p) => path.basename(p)).sort()).toEqual(['eval.png', 'kl.png', 'score.png']);
    for (const p of res.pngs) expect(fs.readFileSync(p).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  });
});
