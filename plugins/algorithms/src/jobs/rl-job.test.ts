import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container as root, type DependencyContainer } from 'tsyringe';
import { DiagnosticError, Rng, RunDirectory, Tokens, type Job, type Metrics, type OfflineAlgorithm, type OnlineAlgorithm } from '@rlhfjs/core';
import { rlJobPlugin } from './rl-job';

/** A policy with no weights: enough for the loop's checkpoint code. */
function stubPolicy() {
  return {
    saved: [] as string[],
    async save(dir: string) {
      fs.mkdirSync(dir, { recursive: true });
      this.saved.push(dir);
    },
    namedWeights: () => new Map(),
    loadNamedWeights() {},
    frozenCopy() {
      return this;
    },
  };
}

/** An offline algorithm whose loss is its step count and whose state is that count. */
function countingAlgorithm(): OfflineAlgorithm & { steps: number } {
  return {
    mode: 'offline',
    steps: 0,
    async step(iteration: number) {
      this.steps += 1;
      return { kl: 0, metrics: { 'loss/count': this.steps, iteration } };
    },
    async saveState(dir: string) {
      fs.writeFileSync(path.join(dir, 'count.json'), JSON.stringify(this.steps));
    },
    async loadState(dir: string) {
      this.steps = JSON.parse(fs.readFileSync(path.join(dir, 'count.json'), 'utf8')) as number;
    },
  };
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-job-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runContainer(algorithm: OnlineAlgorithm | OfflineAlgorithm, steps = 5): DependencyContainer {
  const c = root.createChildContainer();
  const policy = stubPolicy();
  c.registerInstance(Tokens.Recipe, { name: 't', algorithm: { use: 'my-algo', options: {} }, runtime: { steps, checkpointEvery: 2, keepCheckpoints: 2 } } as never);
  c.registerInstance(Tokens.Runtime, { tf: {}, backend: 'cpu' } as never);
  c.registerInstance(Tokens.RunDir, new RunDirectory(tmp));
  c.registerInstance(Tokens.Rng, new Rng(3));
  c.registerInstance(Tokens.Agent, { policy, sampling: { maxNewTokens: 4 } } as never);
  c.registerInstance(Tokens.Algorithm, algorithm);
  return c;
}

const create = (c: DependencyContainer) => rlJobPlugin.create({ options: {}, container: c, pointer: '/job', resolvePath: (p) => p }) as Job;

describe('the rl job plugin', () => {
  test('declares the slots every algorithm needs; an online algorithm that declares none still gets the missing slots named', () => {
    expect(rlJobPlugin.requires).toEqual(['agent', 'algorithm']);
    const online = { mode: 'online', batch: { promptsPerIteration: 1, samplesPerPrompt: 1 } } as unknown as OnlineAlgorithm;
    let err: unknown;
    try {
      create(runContainer(online));
    } catch (e) {
      err = e;
    }
    expect(DiagnosticError.is(err)).toBe(true);
    expect((err as DiagnosticError).diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['recipe/missing-slot', 'the rl job with the online algorithm "my-algo" needs the slot "environment"'],
      ['recipe/missing-slot', 'the rl job with the online algorithm "my-algo" needs the slot "rewards"'],
      ['recipe/missing-slot', 'the rl job with the online algorithm "my-algo" needs the slot "klController"'],
    ]);
  });

  test('an online loop takes the KL reference when it is created, before a checkpoint can be restored into the policy', () => {
    const online = { mode: 'online', batch: { promptsPerIteration: 1, samplesPerPrompt: 1 } } as unknown as OnlineAlgorithm;
    const c = runContainer(online);
    let built = 0;
    c.register(Tokens.Reference, { useFactory: () => ((built += 1), {}) as never });
    c.registerInstance(Tokens.Environment, {} as never);
    c.registerInstance(Tokens.Rewards, {} as never);
    c.registerInstance(Tokens.KLController, {} as never);
    create(c);
    expect(built).toBe(1);
  });

  test('an offline algorithm runs without environment, rewards or KL controller: metrics through the sink, checkpoints every 2 steps and at the end, and a resume continues from the last one', async () => {
    const algorithm = countingAlgorithm();
    const c = runContainer(algorithm);
    const job = create(c);
    const logged: Array<[number, Metrics]> = [];
    const checkpoints: number[] = [];
    const runDir = new RunDirectory(tmp);
    const ctx = {
      container: c,
      runDir: tmp,
      startStep: 0,
      metrics: { log: async (step: number, m: Metrics) => void logged.push([step, m]), event: async () => {}, plan: () => {} },
      checkpoint: async (step: number) => {
        checkpoints.push(step);
        return runDir.writeCheckpoint(step, (d) => job.saveCheckpoint(d, step));
      },
    };
    const res = await job.run(ctx);
    expect(logged.map(([s, m]) => [s, m['loss/count'], m['kl/mean']])).toEqual([
      [0, 1, 0],
      [1, 2, 0],
      [2, 3, 0],
      [3, 4, 0],
      [4, 5, 0],
    ]);
    expect(checkpoints).toEqual([2, 4, 5]);
    expect(res.summary).toMatchObject({ steps: 5, finalPolicy: path.join(tmp, 'final') });
    // the loop's own state file, in the format of runs written before the job was a plugin
    const ck = runDir.latestCheckpoint()!;
    const state = JSON.parse(fs.readFileSync(path.join(ck.dir, 'state.json'), 'utf8'));
    expect(state).toMatchObject({ step: 5, kl: { value: 0 }, environment: null, rewardMoments: null });
    expect(Object.keys(state.rng)).toEqual(['rollout', 'data']);

    // a fresh job restored from the step-4 checkpoint continues with the algorithm's state of step 4
    const again = countingAlgorithm();
    const c2 = runContainer(again);
    const job2 = create(c2);
    await job2.loadCheckpoint(runDir.checkpointDir(4), 4);
    expect(again.steps).toBe(4);
    logged.length = 0;
    await job2.run({ ...ctx, container: c2, startStep: 4, checkpoint: async () => '' });
    expect(logged.map(([s, m]) => [s, m['loss/count']])).toEqual([[4, 5]]);
  });

  test('samples.jsonl keeps only the steps before the one a run continues from', async () => {
    const file = path.join(tmp, 'samples.jsonl');
    fs.writeFileSync(file, [0, 1, 2, 3].map((step) => JSON.stringify({ step, completion: `c${step}` })).join('\n') + '\n{"step": 4, "compl');
    const c = runContainer(countingAlgorithm(), 2);
    await create(c).run({ container: c, runDir: tmp, startStep: 2, metrics: { log: async () => {}, event: async () => {}, plan: () => {} }, checkpoint: async () => '' });
    expect(fs.readFileSync(file, 'utf8')).toBe('{"step":0,"completion":"c0"}\n{"step":1,"completion":"c1"}\n');
  });
});
