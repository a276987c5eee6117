/** One iteration of an online algorithm as the runner does it, on the tiny GPT, for the GPU tests. */
import { disposePacked, packRollout, responseColumns, Rng, Tokens, type OnlineAlgorithm, type PluginDefinition, type TF } from '@rlhfjs/core';
import algorithms, { FixedKLController } from '@rlhfjs/plugin-algorithms';
import { RewardModel } from '@rlhfjs/plugin-rewards';
import { tinyModel, tinyTokenizer } from '@rlhfjs/plugin-lm/testing';
import { container as root } from 'tsyringe';
import Ajv2020 from 'ajv/dist/2020';

export const SAMPLING = { maxNewTokens: 5, temperature: 1, topK: 0, topP: 1, stop: [] };

function plugin(name: string): PluginDefinition<'algorithm', never> {
  const p = (algorithms as unknown as { plugins: PluginDefinition[] }).plugins.find((x) => x.name === name);
  if (!p) throw new Error(`no algorithm ${name}`);
  return p as PluginDefinition<'algorithm', never>;
}

/** Generation, reference log-probs and reward-model scores, then one update of `name`. */
export async function iteration(tf: TF, name: string, options: Record<string, unknown>, valueHead: boolean): Promise<void> {
  const tok = tinyTokenizer();
  const policy = tinyModel(tf, { valueHead }, 3, tok);
  const reference = policy.frozenCopy();
  const rm = new RewardModel(tf, tinyModel(tf, { valueHead: true }, 4, tok));
  const c = root.createChildContainer();
  c.register(Tokens.Runtime, { useValue: { tf, backend: 'webgpu', nativeKernels: [] } });
  c.register(Tokens.Policy, { useValue: policy });
  c.register(Tokens.Rng, { useValue: new Rng(1) });
  c.register(Tokens.Reference, { useValue: reference });
  const p = plugin(name);
  // the options with the schema's defaults filled in, as the recipe loader does
  const resolved = JSON.parse(JSON.stringify(options)) as Record<string, unknown>;
  const validate = new Ajv2020({ useDefaults: true, strict: false }).compile(p.options);
  if (!validate(resolved)) throw new Error(`${name}: ${JSON.stringify(validate.errors)}`);
  const algo = (await p.create({ options: resolved as never, container: c, resolvePath: (x: string) => x, pointer: '/algorithm' })) as OnlineAlgorithm;
  const prompts = Array.from({ length: algo.batch.promptsPerIteration * algo.batch.samplesPerPrompt }, (_, i) => [tok.bosId ?? 1, 5 + (i % 3)]);
  const rollout = await policy.generate(prompts, SAMPLING, new Rng(2));
  const packed = packRollout(tf, rollout, tok.padId);
  const lp = tf.tidy(() => reference.forward(packed.batch).logprobs);
  const refLogprobs = responseColumns((await lp.array()) as number[][], packed);
  lp.dispose();
  disposePacked(packed);
  const scores = await rm.score(rollout.prompts.map((prompt, i) => ({ prompt, completion: rollout.completions[i] })));
  const kl = new FixedKLController({ beta: 0.05 });
  await algo.update({ rollout, scores, refLogprobs, beta: kl.value, iteration: 0 });
  policy.dispose();
  reference.dispose();
  rm.dispose();
}

export const ONLINE: [string, Record<string, unknown>, boolean][] = [
  ['ppo', { promptsPerIteration: 4, minibatchSize: 2, epochs: 1, learningRate: 1e-3, maxGradNorm: 1 }, true],
  ['rloo', { promptsPerIteration: 2, samplesPerPrompt: 2, minibatchSize: 4, epochs: 1, learningRate: 1e-3 }, false],
  ['grpo', { promptsPerIteration: 2, samplesPerPrompt: 2, minibatchSize: 4, epochs: 1, learningRate: 1e-3 }, false],
  ['reinforce', { promptsPerIteration: 4, minibatchSize: 4, epochs: 1, learningRate: 1e-3 }, false],
];

