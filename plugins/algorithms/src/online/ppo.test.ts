import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError, Rng, referenceLogprobs, responseForward, type Experience, type OnlineAlgorithm, type PolicyModel, type TF } from '@rlhfjs/core';
import { cpuTf } from '../__fixtures__/tf';
import { BigramPolicy } from '@rlhfjs/core/testing';
import { SAMPLING, createPlugin, fractionOf, meanOf, testContainer, trainLoop } from '../__fixtures__/harness';
import { FixedKLController } from '../kl/fixed-controller';
import { ppoPlugin } from './ppo';

const C = 4; // token id of the letter "c": the reward is the share of generated c's

async function experience(tf: TF, policy: PolicyModel, reference: PolicyModel, seed: number, n = 8): Promise<Experience> {
  const rollout = await policy.generate(Array.from({ length: n }, () => [1]), SAMPLING, new Rng(seed));
  const refLogprobs = await referenceLogprobs(tf, reference, rollout, 0);
  return { rollout, scores: rollout.responseIds.map(fractionOf(C)), refLogprobs, beta: 0.05, iteration: 0 };
}

function weights(p: PolicyModel): number[][] {
  return [...p.namedWeights().values()].map((t) => Array.from(t.dataSync()));
}

describe('ppo plugin', () => {
  let tf: TF;
  beforeAll(async () => {
    tf = await cpuTf();
  });

  it('raises the score of a simple reward while KL stays bounded', async () => {
    const policy = BigramPolicy.create(tf, new Rng(3), { valueHead: true });
    const reference = policy.frozenCopy();
    const c = testContainer(tf, policy, 1, reference);
    const ppo = await createPlugin<OnlineAlgorithm>(ppoPlugin, { promptsPerIteration: 8, minibatchSize: 4, learningRate: 0.05, vfCoef: 0.5 }, c);
    expect(ppo.batch).toEqual({ promptsPerIteration: 8, samplesPerPrompt: 1 });
    const res = await trainLoop(tf, ppo, policy, reference, fractionOf(C), new FixedKLController({ beta: 0.05 }), 30);
    const first = meanOf(res.scores.slice(0, 5));
    const last = meanOf(res.scores.slice(-5));
    expect(last).toBeGreaterThan(first + 0.25);
    expect(Math.max(...res.kls)).toBeLessThan(15);
    res.kls.forEach((k) => expect(Number.isFinite(k)).toBe(true));
    const m = res.metrics[res.metrics.length - 1];
    for (const key of ['score/mean', 'score/std', 'kl/mean', 'kl/beta', 'loss/policy', 'loss/value', 'loss/total', 'entropy', 'approx_kl', 'clipfrac', 'explained_variance', 'grad_norm']) {
      expect(m).toHaveProperty([key]);
    }
    // the value head learns: predictions explain part of the returns by the end
    expect(meanOf(res.metrics.slice(-5).map((x) => x.explained_variance))).toBeGreaterThan(meanOf(res.metrics.slice(0, 3).map((x) => x.explained_variance)));
  });

  it('stops the epochs early when approx KL passes targetKL', async () => {
    const policy = BigramPolicy.create(tf, new Rng(4), { valueHead: true });
    const ppo = await createPlugin<OnlineAlgorithm>(ppoPlugin, { promptsPerIteration: 8, minibatchSize: 4, epochs: 4, learningRate: 0.1, targetKL: 1e-9 }, testContainer(tf, policy));
    const exp = await experience(tf, policy, policy.frozenCopy(), 5);
    const out = await ppo.update(exp);
    // step 1 starts at ratio 1 (approx KL 0) and is applied; step 2 sees the moved policy and stops
    expect(out.metrics['ppo/steps']).toBe(1);
    expect(out.metrics['ppo/early_stop']).toBe(1);
    const free = await createPlugin<OnlineAlgorithm>(ppoPlugin, { promptsPerIteration: 8, minibatchSize: 4, epochs: 4, learningRate: 0.1, targetKL: null }, testContainer(tf, BigramPolicy.create(tf, new Rng(4), { valueHead: true })));
    expect((await free.update(exp)).metrics['ppo/steps']).toBe(8);
  });

  it('one step off policy, takes its ratio to the behaviour policy the experience brings', async () => {
    const make = () => BigramPolicy.create(tf, new Rng(7), { valueHead: true });
    const opts = { promptsPerIteration: 8, minibatchSize: 4, epochs: 4, learningRate: 0.1, targetKL: 1e-9 };
    const sampler = make();
    const exp = await experience(tf, sampler, sampler.frozenCopy(), 8);
    // the sampling policy's numbers by the training forward pass (what a rollout chunk computes)
    const forward = await responseForward(tf, sampler, exp.rollout, 0, { values: true });
    const behaviour = { logprobs: forward.logprobs, values: forward.values! };
    const run = async (e: Experience) => {
      const policy = make();
      const ppo = await createPlugin<OnlineAlgorithm>(ppoPlugin, opts, testContainer(tf, policy));
      return { res: await ppo.update(e), weights: weights(policy) };
    };
    // the behaviour policy is the policy being updated: the same update as recomputing it
    const recomputed = await run(exp);
    const given = await run({ ...exp, behaviour });
    expect(given.res.metrics['ppo/steps']).toBe(1);
    expect(given.weights).toEqual(recomputed.weights);
    const noTimes = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/')));
    expect(noTimes(given.res.metrics)).toEqual(noTimes(recomputed.res.metrics));
    // a behaviour policy one update older (log-probs 0.1 lower per token): the ratio starts away
    // from 1, so approx KL passes targetKL before the first step, which is vetoed
    const stale = await run({ ...exp, behaviour: { ...behaviour, logprobs: behaviour.logprobs.map((r) => r.map((x) => x - 0.1)) } });
    expect(stale.res.metrics['ppo/steps']).toBe(0);
    expect(stale.res.metrics['ppo/early_stop']).toBe(1);
    expect(stale.weights).toEqual(weights(make()));
    // rows that do not match the rollout are refused
    await expect(run({ ...exp, behaviour: { logprobs: behaviour.logprobs.slice(1) } })).rejects.toThrow('7 rows of behaviour log-probs for 8 samples');
    await expect(run({ ...exp, behaviour: { ...behaviour, values: behaviour.values.map((r, i) => (i === 2 ? r.slice(1) : r)) } })).rejects.toThrow(/sample 2 has \d+ response tokens but \d+ behaviour values/);
  });

  it('refuses a NaN loss before touching the weights', async () => {
    const policy = BigramPolicy.create(tf, new Rng(5), { valueHead: true });
    const ppo = await createPlugin<OnlineAlgorithm>(ppoPlugin, { promptsPerIteration: 8, learningRate: 0.1 }, testContainer(tf, policy));
    const exp = await experience(tf, policy, policy.frozenCopy(), 6);
    exp.scores[2] = NaN;
    exp.iteration = 17;
    const before = weights(policy);
    let err: unknown;
    try {
      await ppo.update(exp);
    } catch (e) {
      err = e;
    }
    expect(DiagnosticError.is(err)).toBe(true);
    const d = err as DiagnosticError;
    expect(d.exitCode).toBe(1);
    expect(d.diagnostics[0].code).toBe('train/non-finite-loss');
    expect(d.diagnostics[0].message).toMatch(/at step 17/);
    expect(d.diagnostics[0].fix).toMatch(/learning rate/);
    expect(weights(policy)).toEqual(before);
  });

  it('resumes exactly from saveState/loadState', async () => {
    const make = async (p: PolicyModel) => createPlugin<OnlineAlgorithm>(ppoPlugin, { promptsPerIteration: 8, minibatchSize: 4, epochs: 2, learningRate: 0.05 }, testContainer(tf, p, 9));
    const a = BigramPolicy.create(tf, new Rng(6), { valueHead: true });
    const ref = a.frozenCopy();
    const algoA = await make(a);
    for (let i = 0; i < 3; i++) await algoA.update(await experience(tf, a, ref, 100 + i));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-state-'));
    await algoA.saveState(dir);

    const b = BigramPolicy.create(tf, new Rng(6), { valueHead: true });
    b.loadNamedWeights(a.namedWeights());
    const algoB = await make(b);
    await algoB.loadState(dir);
    const c = BigramPolicy.create(tf, new Rng(6), { valueHead: true });
    c.loadNamedWeights(a.namedWeights());
    const algoC = await make(c); // same weights, fresh optimiser and random stream: must drift apart

    for (let i = 0; i < 2; i++) {
      const exp = await experience(tf, a, ref, 200 + i);
      await algoA.update(exp);
      await algoB.update(exp);
      await algoC.update(exp);
    }
    expect(weights(b)).toEqual(weights(a));
    expect(weights(c)).not.toEqual(weights(a));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no tensors behind after an update', async () => {
    const policy = BigramPolicy.create(tf, new Rng(8), { valueHead: true });
    const ppo = await createPlugin<OnlineAlgorithm>(ppoPlugin, { promptsPerIteration: 8, minibatchSize: 4, learningRate: 0.01 }, testContainer(tf, policy));
    const ref = policy.frozenCopy();
    await ppo.update(await experience(tf, policy, ref, 1)); // the first step creates Adam's moments
    const exp = await experience(tf, policy, ref, 2);
    const before = tf.memory().numTensors;
    await ppo.update(exp);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('needs a value head and sizes that fit together', async () => {
    const noHead = BigramPolicy.create(tf, new Rng(7));
    await expect(createPlugin(ppoPlugin, {}, testContainer(tf, noHead))).rejects.toMatchObject({ diagnostics: [{ code: 'recipe/needs-value-head' }] });
    const p = BigramPolicy.create(tf, new Rng(7), { valueHead: true });
    await expect(createPlugin(ppoPlugin, { promptsPerIteration: 6, minibatchSize: 4 }, testContainer(tf, p))).rejects.toMatchObject({
      diagnostics: [{ pointer: '/algorithm/options/minibatchSize', message: expect.stringMatching(/does not divide the 6 samples/) }],
    });
  });
});
