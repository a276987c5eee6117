import type * as tfc from '@tensorflow/tfjs-core';
import type { Rng } from '../runtime/rng';

/** Text ↔ token ids. `decode(encode(x)) === x` for every string. */
export interface Tokenizer {
  readonly vocabSize: number;
  /** End-of-sequence id: generation stops there; it pads finished rows. */
  readonly eosId: number;
  /** Padding id used in batches (may equal eosId). */
  readonly padId: number;
  /** Beginning-of-sequence id, prepended to every prompt when defined. */
  readonly bosId?: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** How actions (tokens) are drawn. Lives under `agent.options.sampling` in a recipe. */
export interface SamplingOptions {
  /** Most tokens generated per completion. */
  maxNewTokens: number;
  /** Softmax temperature; 1 keeps the model's distribution (which the RL maths assumes). */
  temperature: number;
  /** Keep only the k most likely tokens (0 = off). */
  topK: number;
  /** Nucleus sampling: keep the smallest set whose probability reaches p (1 = off). */
  topP: number;
  /** Strings that end a completion; the stop string is kept in the completion. */
  stop: string[];
}

/**
 * A batch of completions. Row i is prompt i (after truncation to the context window) and
 * its completion. Arrays are plain numbers so that rewards and loggers never touch tensors.
 */
export interface Rollout {
  promptIds: number[][];
  /** Generated token ids, excluding padding; ends with eos when the model stopped. */
  responseIds: number[][];
  /** log π(a_t | s_t) of each generated token under the sampling policy (temperature applied). */
  responseLogprobs: number[][];
  /** Value-head estimate before each generated token, when the policy has a value head. */
  values?: number[][];
  prompts: string[];
  completions: string[];
}

/**
 * Full sequences (prompt + response), left-aligned and right-padded, for a training forward pass.
 * `targetMask[b][t] = 1` where token t+1 is a response token whose log-prob is trained.
 */
export interface SequenceBatch {
  /** int32 [B, T] */
  ids: tfc.Tensor2D;
  /** float32 [B, T]: 1 for real tokens, 0 for padding. */
  attentionMask: tfc.Tensor2D;
}

export interface ForwardOutput {
  /** float32 [B, T-1]: log π(ids[:, t+1] | ids[:, ≤t]). */
  logprobs: tfc.Tensor2D;
  /** float32 [B, T-1]: entropy of the next-token distribution at each position (when asked). */
  entropy?: tfc.Tensor2D;
  /** float32 [B, T-1]: value-head output at each position t, i.e. V(s_t) before token t+1 (when asked). */
  values?: tfc.Tensor2D;
}

/** The policy language model: the seed's agent. */
export interface PolicyModel {
  readonly tokenizer: Tokenizer;
  /** Context window in tokens (prompt + completion). */
  readonly contextSize: number;
  /** Whether {@link ForwardOutput.values} is available. */
  readonly hasValueHead: boolean;
  /** Sample completions for tokenised prompts. Draws all randomness from `rng`. */
  generate(prompts: number[][], sampling: SamplingOptions, rng: Rng): Promise<Rollout>;
  /** A differentiable forward pass; call inside `tf.variableGrads` / `optimizer.minimize`. */
  forward(batch: SequenceBatch, want?: { entropy?: boolean; values?: boolean }): ForwardOutput;
  /** Weights the optimiser updates (policy and value head). */
  trainableVariables(): tfc.Variable[];
  /** A frozen copy that shares no mutable state: the KL reference. */
  frozenCopy(): PolicyModel;
  /** Write a self-contained checkpoint directory (config, tokenizer, weights). */
  save(dir: string): Promise<void>;
  /** Named weights, for checkpoints and equality checks. */
  namedWeights(): Map<string, tfc.Tensor>;
  /** Overwrite weights by name (shapes must match). */
  loadNamedWeights(weights: Map<string, tfc.Tensor>): void;
  dispose(): void;
}

/** What an `agent` plugin builds. */
export interface Agent {
  policy: PolicyModel;
  sampling: SamplingOptions;
  /** Where the policy came from (checkpoint path or "random init"), for the manifest. */
  source: string;
}
