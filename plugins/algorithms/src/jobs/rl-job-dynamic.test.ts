import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RewardSet, Rng, RunDirectory, Tokens, type Environment, type Job, type Metrics, type OnlineAlgorithm, type Prompt } from '@rlhfjs/core';
import { cpuTf } from '../__fixtures__/tf';
import { BigramPolicy } from '@rlhfjs/core/testing';
import { SAMPLING, createPlugin, testContainer } from '../__fixtures__/harness';
import { FixedKLController } from '../kl/fixed-controller';
import { grpoPlugin } from '../online/grpo';
import { rlJobPlugin } from './rl-job';

/** Prompts "a", "b", … "f" in a seeded order; its state is the position. */
function environment(): Environment {
  const texts = ['a', 'b', 'c', 'd', 'e', 'f'];
  let pos = 0;
  return {
    size: texts.length,
    nextBatch(n: number, rng: Rng): Prompt[] {
      return Array.from({ length: n }, () => {
        const i = (pos++ + rng.int(texts.length)) % texts.length;
        return { id: texts[i], text: texts[i] };
      });
    },
    heldOut: () => [],
    getState: () => pos,
    setState: (s) => void (pos = s as number),
  };
}

/** Prompt "a" and "b" always score 1 (flat groups); other prompts score the share of "c" in the completion. */
const reward = {
  async score(samples: Array<{ prompt: string; completion: string }>) {
    return { scores: samples.map((s) => (s.prompt.endsWith('a') || s.prompt.endsWith('b') ? 1 : [...s.completion].filter((ch) => ch === 'c').length / Math.max(1, s.completion.length))) };
  },
};

async function run(dir: string, steps: number, mode: 'off' | 'drop' | 'resample'): Promise<Array<[number, Metrics]>> {
  const tf = await cpuTf();
  const policy = BigramPolicy.create(tf, new Rng(3));
  policy.save = async () => {}; // the loop saves the final policy; the test model is not saved
  const c = testContainer(tf, policy, 4);
  const algorithm = await createPlugin<OnlineAlgorithm>(grpoPlugin, { promptsPerIteration: 3, samplesPerPrompt: 2, learningRate: 0.05, dynamicSampling: { mode, maxRetries: 2 } }, c);
  c.registerInstance(Tokens.Recipe, { name: 't', algorithm: { use: 'grpo', options: {} }, runtime: { steps, checkpointEvery: 0, keepCheckpoints: 1 } } as never);
  c.registerInstance(Tokens.RunDir, new RunDirectory(dir));
  c.registerInstance(Tokens.Agent, { policy, sampling: SAMPLING, source: 'test' });
  c.registerInstance(Tokens.Algorithm, algorithm);
  c.registerInstance(Tokens.Environment, environment());
  c.registerInstance(Tokens.Rewards, new RewardSet([{ name: 'r', weight: 1, source: reward as never }]));
  c.registerInstance(Tokens.KLController, new FixedKLController({ beta: 0.04 }));
  const job = rlJobPlugin.create({ options: {}, container: c, pointer: '/job', resolvePath: (p) => p }) as Job;
  const logged: Array<[number, Metrics]> = [];
  await job.run({ container: c, runDir: dir, startStep: 0, metrics: { log: async (s: number, m: Metrics) => void logged.push([s, m]), event: async () => {}, plan: () => {} }, checkpoint: async () => '' });
  return logged;
}

const stable = (logged: Array<[number, Metrics]>) => logged.map(([s, m]) => [s, Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/')))]);

describe('dynamic sampling in the rl loop', () => {
  let dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-dyn-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    dirs = [];
  });

  it('resamples flat groups from the seeded streams: the same run twice logs the same numbers', async () => {
    const a = await run(tmp(), 4, 'resample');
    const b = await run(tmp(), 4, 'resample');
    expect(stable(b)).toEqual(stable(a));
    const total = (k: string) => a.reduce((x, [, m]) => x + (m[k] ?? 0), 0);
    expect(total('sampling/flat_groups')).toBeGreaterThan(0);
    expect(total('sampling/resampled_prompts')).toBeGreaterThan(0);
    for (const [, m] of a) expect(m['sampling/resample_rounds']).toBeLessThanOrEqual(2);
  });

  it('drops flat groups without drawing, and leaves the loop as it was when off', async () => {
    const drop = await run(tmp(), 3, 'drop');
    for (const [, m] of drop) {
      expect(m['sampling/resampled_prompts']).toBe(0);
      expect(m['sampling/groups']).toBe(3 - m['sampling/dropped_groups']);
    }
    const off = await run(tmp(), 3, 'off');
    for (const [, m] of off) expect(Object.keys(m).some((k) => k.startsWith('sampling/'))).toBe(false);
  });
});
