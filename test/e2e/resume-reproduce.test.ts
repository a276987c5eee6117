import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareMetrics, readMetricsFile } from '@rlhfjs/core';
import { killAfterCheckpoint, makeRlProject, rlhfSync, latestStep } from './rl-project';

jest.setTimeout(300_000);

let project: ReturnType<typeof makeRlProject>;
beforeAll(() => {
  project = makeRlProject({ steps: 8, checkpointEvery: 2 });
});
afterAll(() => project.cleanup());

const metrics = (run: string) => readMetricsFile(path.join(project.dir, run, 'metrics.jsonl'));

describe('RL run: kill, resume, reproduce', () => {
  test('an uninterrupted run trains and writes its run directory', () => {
    const r = rlhfSync(['train', 'tiny-ppo.yaml', '--out', 'runs/straight'], project.dir);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const rows = metrics('runs/straight');
    expect(rows.map((x) => x.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const key of ['score/mean', 'kl/mean', 'kl/beta', 'loss/policy', 'loss/value', 'perf/tokens_per_s']) expect(typeof rows[7][key]).toBe('number');
    const dir = path.join(project.dir, 'runs/straight');
    expect(fs.existsSync(path.join(dir, 'final', 'config.json'))).toBe(true);
    expect(fs.readdirSync(path.join(dir, 'checkpoints')).sort()).toEqual(['latest.json', 'step-000006', 'step-000008']);
    expect(fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8').split('\n').filter(Boolean)).toHaveLength(9);
  });

  test('a run killed with SIGKILL mid-way and resumed ends with the same metrics', async () => {
    const dir = path.join(project.dir, 'runs/killed');
    // kill as soon as the step-4 checkpoint is complete (and the run is not finished)
    await killAfterCheckpoint(['train', 'tiny-ppo.yaml', '--out', 'runs/killed'], project.dir, dir, 4);
    const killedAt = latestStep(dir);
    expect(killedAt).toBeGreaterThanOrEqual(4);
    expect(killedAt).toBeLessThan(8);
    const r = rlhfSync(['train', '--resume', 'runs/killed'], project.dir);
    expect(r.code).toBe(0);
    const cmp = compareMetrics(metrics('runs/straight'), metrics('runs/killed'));
    expect(cmp.first).toBeUndefined();
    expect(cmp).toEqual({ identical: true, stepsCompared: 8 });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.resumedAt).toHaveLength(1);
  });

  test('reproduce re-runs the stored recipe to identical metrics, and detects a changed one', () => {
    const ok = rlhfSync(['reproduce', 'runs/straight', '--out', 'runs/again'], project.dir);
    expect(ok.stdout).toContain('reproduced: 8 steps, every metric identical');
    expect(ok.code).toBe(0);
    // tamper with one stored value: reproduce must name it
    const file = path.join(project.dir, 'runs/straight/metrics.jsonl');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const original = lines[3]['loss/value'];
    lines[3]['loss/value'] = original + 1e-6;
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const bad = rlhfSync(['reproduce', 'runs/straight', '--out', 'runs/again2'], project.dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`NOT reproduced: first difference at step 3, loss/value: stored ${JSON.stringify(original + 1e-6)}, reproduced ${JSON.stringify(original)}`);
    expect(bad.stderr).toContain('the reproduced metrics differ from the stored run');
  });
});
