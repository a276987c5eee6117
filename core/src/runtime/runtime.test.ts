import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from './rng';
import { RunDirectory, atomicWriteDir } from './run-dir';
import { compareMetrics } from './compare-metrics';
import { wilsonInterval, twoProportionPValue } from '../eval/stats';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-rt-'));

describe('Rng', () => {
  test('same seed, same stream; state round-trips; forks are independent of later draws', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect([a.next(), a.next(), a.int(10)]).toEqual([b.next(), b.next(), b.int(10)]);
    const saved = a.getState();
    const x = [a.nextUint32(), a.nextUint32()];
    const c = new Rng(saved);
    expect([c.nextUint32(), c.nextUint32()]).toEqual(x);
    expect(new Rng(1).fork('data').next()).toBe(new Rng(1).fork('data').next());
    expect(new Rng(1).fork('data').next()).not.toBe(new Rng(1).fork('init').next());
    expect(new Rng(1).next()).not.toBe(new Rng(2).next());
  });
  test('uniform draws have the right mean and shuffle is a permutation', () => {
    const r = new Rng(7);
    let s = 0;
    for (let i = 0; i < 20000; i++) s += r.next();
    expect(Math.abs(s / 20000 - 0.5)).toBeLessThan(0.01);
    const arr = Array.from({ length: 50 }, (_, i) => i);
    expect([...r.shuffle([...arr])].sort((a, b) => a - b)).toEqual(arr);
  });
});

describe('run directory', () => {
  test('metrics append and truncate; a torn last line is skipped', () => {
    const run = new RunDirectory(tmp());
    run.appendMetrics(0, { a: 1 });
    run.appendMetrics(1, { a: 2, b: NaN });
    fs.appendFileSync(run.metricsPath, '{"step": 2, "a"');
    expect(run.readMetrics().map((r) => [r.step, r.a, r.b])).toEqual([
      [0, 1, undefined],
      [1, 2, 'NaN'],
    ]);
    run.truncateMetrics(1);
    expect(run.readMetrics().map((r) => r.step)).toEqual([0]);
  });

  test('checkpoints are written atomically, latest.json points at the newest, old ones are pruned', async () => {
    const run = new RunDirectory(tmp());
    for (const step of [5, 10, 15]) await run.writeCheckpoint(step, async (d) => fs.writeFileSync(path.join(d, 'x'), String(step)), 2);
    expect(run.latestCheckpoint()).toEqual({ step: 15, dir: run.checkpointDir(15) });
    expect(fs.readdirSync(run.file('checkpoints')).sort()).toEqual(['latest.json', 'step-000010', 'step-000015']);
    // a fill that fails leaves the previous checkpoint untouched and no half-written folder
    await expect(run.writeCheckpoint(20, async (d) => {
      fs.writeFileSync(path.join(d, 'x'), 'half');
      throw new Error('disk full');
    })).rejects.toThrow('disk full');
    expect(run.latestCheckpoint()?.step).toBe(15);
    expect(fs.readdirSync(run.file('checkpoints')).sort()).toEqual(['latest.json', 'step-000010', 'step-000015']);
  });

  test('atomicWriteDir replaces an existing folder only once the new one is complete', async () => {
    const d = path.join(tmp(), 'ck');
    await atomicWriteDir(d, (t) => fs.writeFileSync(path.join(t, 'v'), '1'));
    await atomicWriteDir(d, (t) => fs.writeFileSync(path.join(t, 'v'), '2'));
    expect(fs.readFileSync(path.join(d, 'v'), 'utf8')).toBe('2');
    expect(fs.readdirSync(path.dirname(d))).toEqual(['ck']);
  });
});

describe('compareMetrics', () => {
  const rows = (xs: number[]) => xs.map((x, i) => ({ step: i, time: `t${i}`, 'loss/total': x, 'perf/step_s': Math.random() }));
  test('identical learning metrics match whatever the timing', () => {
    expect(compareMetrics(rows([1, 2, 3]), rows([1, 2, 3]))).toEqual({ identical: true, stepsCompared: 3 });
  });
  test('the first difference is reported with both values', () => {
    expect(compareMetrics(rows([1, 2, 3]), rows([1, 2.0000001, 3])).first).toEqual({ step: 1, key: 'loss/total', stored: 2, reproduced: 2.0000001 });
    expect(compareMetrics(rows([1, 2, 3]), rows([1, 2])).lengthMismatch).toEqual({ stored: 3, reproduced: 2 });
  });
});

describe('statistics', () => {
  test('Wilson interval matches a worked example', () => {
    // 10 of 100: p = 0.1, z = 1.96 → centre (0.1 + 0.019208)/1.038415 = 0.114799, half = 1.96·sqrt(0.0009 + 0.00009604)/1.038415 = 0.059574
    const ci = wilsonInterval(10, 100);
    expect(ci.rate).toBe(0.1);
    expect(ci.low).toBeCloseTo(0.0552, 3);
    expect(ci.high).toBeCloseTo(0.1744, 3);
    expect(wilsonInterval(0, 50).low).toBe(0);
  });
  test('two-proportion test: equal rates give p = 1, very different ones a small p', () => {
    expect(twoProportionPValue(10, 100, 10, 100)).toBeCloseTo(1, 6);
    // 100/1000 vs 30/1000: z = 0.07/sqrt(0.065·0.935·0.002) = 6.35 → p ≈ 2e-10
    expect(twoProportionPValue(100, 1000, 30, 1000)).toBeLessThan(1e-8);
  });
});
