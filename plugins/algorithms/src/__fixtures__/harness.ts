import { container as root, type DependencyContainer } from 'tsyringe';
import Ajv2020 from 'ajv/dist/2020';
import { Rng, Tokens, packRollout, responseColumns, disposePacked, type OnlineAlgorithm, type PluginDefinition, type PolicyModel, type SamplingOptions, type TF, type KLController } from '@rlhfjs/core';

/** Validate options against a plugin's schema (defaults filled in), as the recipe loader does. */
export function resolveOptions<O>(plugin: PluginDefinition<any, O>, options: Record<string, unknown>): O {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictTypes: false, allowUnionTypes: true });
  const copy = JSON.parse(JSON.stringify(options)) as Record<string, unknown>;
  const validate = ajv.compile(plugin.options);
  if (!validate(copy)) throw new Error(`${plugin.name}: ${ajv.errorsText(validate.errors)}`);
  return copy as O;
}

/** A child container holding what the algorithm plugins ask for. */
export function testContainer(tf: TF, policy: PolicyModel, seed = 1, reference?: PolicyModel): DependencyContainer {
  const c = root.createChildContainer();
  c.register(Tokens.Runtime, { useValue: { tf, backend: 'cpu', nativeKernels: [] } });
  c.register(Tokens.Policy, { useValue: policy });
  c.register(Tokens.Rng, { useValue: new Rng(seed) });
  c.register(Tokens.Reference, { useValue: reference ?? policy.frozenCopy() });
  return c;
}

export async function createPlugin<T>(plugin: PluginDefinition<any, any>, options: Record<string, unknown>, c: DependencyContainer, resolvePath = (p: string) => p): Promise<T> {
  return (await plugin.create({ options: resolveOptions(plugin, options), container: c, resolvePath, pointer: '/algorithm' })) as T;
}

export const SAMPLING: SamplingOptions = { maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, stop: [] };

export interface LoopResult {
  scores: number[];
  kls: number[];
  metrics: Record<string, number>[];
}

/**
 * The runner's online loop in miniature (prompts → generate → reference log-probs → score →
 * update → KL controller), for algorithm tests without the rest of a run.
 */
export async function trainLoop(
  tf: TF,
  algorithm: OnlineAlgorithm,
  policy: PolicyModel,
  reference: PolicyModel,
  score: (ids: number[]) => number,
  kl: KLController,
  iterations: number,
  opts: { seed?: number; sampling?: SamplingOptions; prompts?: number[][] } = {},
): Promise<LoopResult> {
  const rng = new Rng(opts.seed ?? 11);
  const prompts = opts.prompts ?? [[1], [1, 2], [1, 3], [1, 4]];
  const out: LoopResult = { scores: [], kls: [], metrics: [] };
  for (let it = 0; it < iterations; it++) {
    const rows: number[][] = [];
    for (let p = 0; p < algorithm.batch.promptsPerIteration; p++) {
      const prompt = prompts[(it * algorithm.batch.promptsPerIteration + p) % prompts.length];
      for (let k = 0; k < algorithm.batch.samplesPerPrompt; k++) rows.push(prompt);
    }
    const rollout = await policy.generate(rows, opts.sampling ?? SAMPLING, rng);
    const packed = packRollout(tf, rollout, policy.tokenizer.padId);
    const lp = tf.tidy(() => reference.forward(packed.batch).logprobs);
    const refLogprobs = responseColumns(lp.arraySync() as number[][], packed);
    lp.dispose();
    disposePacked(packed);
    const scores = rollout.responseIds.map(score);
    const res = await algorithm.update({ rollout, scores, refLogprobs, beta: kl.value, iteration: it });
    kl.update(res.kl, scores.length);
    out.scores.push(scores.reduce((a, b) => a + b, 0) / scores.length);
    out.kls.push(res.kl);
    out.metrics.push(res.metrics);
  }
  return out;
}

/** Fraction of a completion's tokens equal to `id` (0 for an empty completion). */
export function fractionOf(id: number): (ids: number[]) => number {
  return (ids) => (ids.length ? ids.filter((t) => t === id).length / ids.length : 0);
}

export function meanOf(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}
