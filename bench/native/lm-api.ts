/**
 * The project's GPT (@rlhfjs/plugin-lm) and the core helpers the step benchmarks use, loaded from
 * their built dist at run time, and one training step of it: the mean negative log-probability of
 * a batch's next tokens, with Adam, as the runner's training steps compute it.
 */
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { makeBatch, type TinyGptConfig } from './tiny-gpt';

export type GptModel = {
  forward(batch: unknown): { logprobs: tf.Tensor2D };
  trainableVariables(): tf.Variable[];
  dispose(): void;
};

/** The parts of @rlhfjs/core and @rlhfjs/plugin-lm the benchmarks use. */
export interface LmApi {
  GPTModel: new (tf: unknown, config: unknown, tokenizer: unknown, weights: unknown) => GptModel;
  validateConfig(c: Record<string, unknown>): unknown;
  parameterCount(c: unknown): number;
  initWeights(c: unknown, rng: unknown): unknown;
  Rng: new (seed: number) => unknown;
  adamOptimizer(t: typeof tf, lr: number): tf.Optimizer;
  packRollout(tf: unknown, r: { promptIds: number[][]; responseIds: number[][] }, padId: number): { batch: { ids: tf.Tensor2D; attentionMask: tf.Tensor2D }; responseMask: tf.Tensor2D };
  disposePacked(p: unknown): void;
}

/** The built packages, or why they cannot be loaded. */
export function loadLm(): LmApi | string {
  const root = path.resolve(__dirname, '..', '..', '..');
  try {
    const core = require(path.join(root, 'core', 'dist'));
    const gpt = require(path.join(root, 'plugins', 'lm', 'dist', 'model', 'gpt'));
    const config = require(path.join(root, 'plugins', 'lm', 'dist', 'model', 'config'));
    const init = require(path.join(root, 'plugins', 'lm', 'dist', 'model', 'init'));
    return { GPTModel: gpt.GPTModel, validateConfig: config.validateConfig, parameterCount: config.parameterCount, initWeights: init.initWeights, Rng: core.Rng, adamOptimizer: core.adamOptimizer, packRollout: core.packRollout, disposePacked: core.disposePacked };
  } catch (err) {
    return `plugins/lm is not built (${(err as Error).message.split('\n')[0]}); run npx tsc -b plugins/lm`;
  }
}

/**
 * One Adam step on batch number `step` of makeBatch (the LCG sequences torch_step.py draws too):
 * each row's first token is the prompt, the other seq − 1 the response whose log-probs are
 * trained. Times the step alone (batch preparation excluded); returns the loss before the update.
 */
export function lmTrainStep(t: typeof tf, lm: LmApi, model: GptModel, optimizer: tf.Optimizer, cfg: Pick<TinyGptConfig, 'vocab' | 'seq' | 'batch'>, step: number): { ms: number; loss: number } {
  const { ids, targets } = makeBatch(t, cfg, step);
  const idRows = ids.arraySync() as number[][];
  const next = targets.arraySync() as number[][];
  t.dispose([ids, targets]);
  const rows = idRows.map((r, b) => [r[0], ...next[b].slice(0, cfg.seq - 1)]);
  const packed = lm.packRollout(t, { promptIds: rows.map((r) => r.slice(0, 1)), responseIds: rows.map((r) => r.slice(1)) }, 0);
  const t0 = performance.now();
  const lossT = optimizer.minimize(() => {
    const out = model.forward(packed.batch);
    const mask = packed.responseMask;
    return t.neg(t.div(t.sum(t.mul(out.logprobs, mask)), t.sum(mask))) as tf.Scalar;
  }, true, model.trainableVariables());
  const loss = lossT ? lossT.dataSync()[0] : NaN;
  const ms = performance.now() - t0;
  lossT?.dispose();
  lm.disposePacked(packed);
  return { ms, loss };
}

/**
 * Makes the wasm backend current (with the gradients of the @tensorflow/tfjs bundle, which the
 * CommonJS tfjs-core does not register) and checks that the native kernels' addon loads.
 */
export async function useWasmWithNativeKernels(t: typeof tf, nk: { nativeKernelsAvailable(): { ok: boolean; reason?: string } }): Promise<void> {
  if (t.getGradient('Sum') === undefined) require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  await t.setBackend('wasm');
  if (t.getBackend() !== 'wasm') throw new Error(`wanted the wasm backend, got ${t.getBackend()}`);
  const avail = nk.nativeKernelsAvailable();
  if (!avail.ok) throw new Error(avail.reason);
}
