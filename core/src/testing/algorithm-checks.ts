import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { Tokens } from '../container/tokens';
import type { Experience, OnlineAlgorithm } from '../contract/algorithm';
import type { PolicyModel, SamplingOptions } from '../contract/agent';
import type { TF } from '../contract/tensor-runtime';
import type { PluginDefinition } from '../plugin/define';
import { disposePacked, packRollout, responseColumns } from '../runner/pack';
import { Rng } from '../runtime/rng';
import { RunDirectory } from '../runtime/run-dir';
import { cpuRuntime, minimalRecipe, type ConformanceOptions } from './conformance';
import { BigramPolicy } from './test-policy';

/** Short completions: the test policy's batches stay tiny. */
export const TEST_SAMPLING: SamplingOptions = { maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, stop: [] };

export interface ExperienceOptions {
  promptsPerIteration: number;
  samplesPerPrompt: number;
  /** Prompt token ids, used in turn (default: four short prompts of the test policy's alphabet). */
  prompts?: number[][];
  /** The score of one completion's token ids (default: their mean id, 0 for an empty completion: scores that differ between samples). */
  score?: (ids: number[]) => number;
  /** β of the iteration (default 0.1). */
  beta?: number;
  iteration?: number;
  sampling?: SamplingOptions;
}

/**
 * One iteration's {@link Experience} as the `rl` job builds it: `samplesPerPrompt` completions of
 * each of `promptsPerIteration` prompts sampled from `policy` with `rng`, the reference's per-token
 * log-probs of them, and a score per completion.
 */
export async function buildExperience(tf: TF, policy: PolicyModel, reference: PolicyModel, rng: Rng, o: ExperienceOptions): Promise<Experience> {
  const prompts = o.prompts ?? [[1], [1, 2], [1, 3], [1, 4]];
  const rows: number[][] = [];
  for (let p = 0; p < o.promptsPerIteration; p++) for (let k = 0; k < o.samplesPerPrompt; k++) rows.push(prompts[p % prompts.length]);
  const rollout = await policy.generate(rows, o.sampling ?? TEST_SAMPLING, rng);
  const packed = packRollout(tf, rollout, policy.tokenizer.padId);
  try {
    const lp = tf.tidy(() => reference.forward(packed.batch).logprobs.arraySync());
    const score = o.score ?? ((ids: number[]) => (ids.length ? ids.reduce((a, b) => a + b, 0) / ids.length : 0));
    return { rollout, scores: rollout.responseIds.map(score), refLogprobs: responseColumns(lp, packed), beta: o.beta ?? 0.1, iteration: o.iteration ?? 0 };
  } finally {
    disposePacked(packed);
  }
}

function weightsOf(policy: PolicyModel): number[][] {
  return policy.trainableVariables().map((v) => Array.from(v.dataSync()));
}

/**
 * Train an online algorithm for real on the tiny test policy ({@link BigramPolicy}, with a value
 * head): one `update()` must report a finite `kl` and finite `loss/*` metrics, and move the weights;
 * then its state, saved with `saveState` and loaded into a second instance built on a copy of the
 * weights, must continue exactly as the first: a second `update()` on the same experience gives the
 * same metrics (timings aside) and the same weights, bit for bit. Returns the problems found.
 */
export async function checkAlgorithmUpdate(def: PluginDefinition, options: Record<string, unknown>, opts: Pick<ConformanceOptions, 'services'> = {}): Promise<string[]> {
  const id = `${def.kind}/${def.name}`;
  const runtime = await cpuRuntime();
  const tf = runtime.tf;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-algorithm-check-'));
  const containers: DependencyContainer[] = [];
  const policies: PolicyModel[] = [];
  const build = async (policy: PolicyModel, reference: PolicyModel): Promise<OnlineAlgorithm | { mode: string }> => {
    const c = rootContainer.createChildContainer();
    containers.push(c);
    c.registerInstance(Tokens.Runtime, runtime);
    c.registerInstance(Tokens.Rng, new Rng(1234));
    c.registerInstance(Tokens.RunDir, new RunDirectory(tmp));
    c.registerInstance(Tokens.Recipe, minimalRecipe(tmp));
    c.registerInstance(Tokens.Policy, policy);
    c.registerInstance(Tokens.Reference, reference);
    await opts.services?.(c, { kind: def.kind, name: def.name });
    return (await def.create({ options: structuredClone(options), container: c, pointer: '/algorithm', resolvePath: (p) => path.resolve(p) })) as OnlineAlgorithm;
  };
  try {
    const policy = BigramPolicy.create(tf, new Rng(7), { valueHead: true });
    const reference = policy.frozenCopy();
    policies.push(policy, reference);
    const a = await build(policy, reference);
    if (a.mode !== 'online') return [];
    const alg = a as OnlineAlgorithm;
    const problems: string[] = [];
    const exp1 = await buildExperience(tf, policy, reference, new Rng(99), { ...alg.batch, iteration: 0 });
    const before = weightsOf(policy);
    const res = await alg.update(exp1);
    if (!Number.isFinite(res.kl)) problems.push(`${id}: update() returned kl = ${res.kl}; it must be a finite number (mean KL per completion, nats)`);
    // the loss terms must be finite (other metrics may be NaN where undefined, e.g. explained variance of constant values)
    const bad = Object.entries(res.metrics).filter(([k, v]) => k.startsWith('loss/') && (typeof v !== 'number' || !Number.isFinite(v)));
    if (bad.length) problems.push(`${id}: update() reported loss terms that are not finite numbers: ${bad.map(([k, v]) => `${k} = ${String(v)}`).join(', ')}`);
    const after = weightsOf(policy);
    if (after.every((w, i) => w.every((x, j) => x === before[i][j]))) problems.push(`${id}: update() did not change any trainable weight of the policy`);
    if (problems.length) return problems;

    // the state round trip: a second instance on a copy of the weights, with the first one's state
    const dir = path.join(tmp, 'state');
    await alg.saveState(dir);
    const copy = BigramPolicy.create(tf, new Rng(8), { valueHead: true });
    policies.push(copy);
    copy.loadNamedWeights(policy.namedWeights());
    const b = (await build(copy, reference)) as OnlineAlgorithm;
    await b.loadState(dir);
    const exp2 = await buildExperience(tf, policy, reference, new Rng(5), { ...alg.batch, iteration: 1 });
    const resA = await alg.update(exp2);
    const resB = await b.update(exp2);
    const strip = (m: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/')));
    const ma = strip(resA.metrics);
    const mb = strip(resB.metrics);
    const differ = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].filter((k) => !Object.is(ma[k], mb[k]));
    if (differ.length || !Object.is(resA.kl, resB.kl)) {
      problems.push(`${id}: after saveState/loadState the next update() differs from the original's: ${differ.map((k) => `${k} ${ma[k]} vs ${mb[k]}`).join(', ')}${Object.is(resA.kl, resB.kl) ? '' : ` kl ${resA.kl} vs ${resB.kl}`}; save everything the update depends on (optimiser moments, random stream, baselines)`);
    }
    const wa = weightsOf(policy);
    const wb = weightsOf(copy);
    if (!wa.every((w, i) => w.every((x, j) => Object.is(x, wb[i][j])))) problems.push(`${id}: after saveState/loadState the next update() leaves different weights than the original's`);
    return problems;
  } finally {
    for (const c of containers) c.clearInstances();
    for (const p of policies) p.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
