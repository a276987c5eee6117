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
  /**
   * The model's chat template (Jinja source, as an instruct model's tokenizer_config.json holds it),
   * when the tokenizer has one.
   */
  readonly chatTemplate?: string;
  /**
   * Render a conversation with {@link chatTemplate} into the text the model was tuned on; with
   * `addGenerationPrompt` the text ends where the assistant's reply begins; `variables` are further
   * template variables (e.g. `enable_thinking`). Implemented by
   * tokenizers that can carry a chat template; throws a DiagnosticError when this one has none.
   */
  applyChatTemplate?(messages: readonly ChatMessage[], opts?: { addGenerationPrompt?: boolean; variables?: Record<string, unknown> }): string;
  /** The vocabulary entry of an id (e.g. "Ġthe" in a byte-level BPE), for display; undefined outside the vocabulary. */
  idToToken?(id: number): string | undefined;
}

/** One turn of a conversation, as chat templates take it. */
export interface ChatMessage {
  /** "system", "user" or "assistant" (templates may know more roles). */
  role: string;
  content: string;
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

/** What {@link PolicyModel.encodePrompt} returns. */
export interface EncodedPrompt {
  /** The tokens the model conditions on: BOS (when the tokenizer has one), the prompt's tokens, then the continuation's. */
  ids: number[];
  /** How many of `ids` belong to the prompt, BOS included; the rest is the continuation. */
  promptLength: number;
  /** Whether tokens were cut from the left to fit the room. */
  truncated: boolean;
}

/** Keys a checkpoint's config.json carries beside the model's own (see {@link PolicyModel.save}). */
export interface SaveOptions {
  /** Extra top-level keys for config.json, e.g. what a reward model was trained on. They cannot replace the `rlhfjs` block. */
  config?: Record<string, unknown>;
  /** Write a plain checkpoint with any LoRA adapters merged into the base weights (W + B·A·α/r), for export; default false (adapters saved beside the base). */
  mergeAdapters?: boolean;
}

/** The policy language model: the seed's agent. */
export interface PolicyModel {
  readonly tokenizer: Tokenizer;
  /** Context window in tokens (prompt + completion). */
  readonly contextSize: number;
  /** Whether {@link ForwardOutput.values} is available. */
  readonly hasValueHead: boolean;
  /**
   * The token ids the policy conditions on for a prompt: the one encoding that rollouts, evaluation,
   * `rlhf generate`, labelling, reward models and DPO all use. The rule: BOS (when the tokenizer has
   * one), the prompt's tokens, then the continuation's tokens when one is given (a string is encoded
   * with the tokenizer, ids are taken as they are); when that is longer than `room`, tokens are cut
   * from the left just after BOS, so BOS is always kept and the newest tokens survive. Callers pass
   * `room = contextSize - maxNewTokens` for a prompt to generate from and `room = contextSize` for a
   * sequence to score. `encodePromptWith` (core) implements this rule for any tokenizer.
   */
  encodePrompt(prompt: string, room: number, continuation?: string | readonly number[]): EncodedPrompt;
  /**
   * Sample completions for tokenised prompts. Draws all randomness from `rng`: one stream for the
   * whole batch, or one stream per row (`rng[i]` draws every token of row i, so a row's
   * completion does not depend on which other rows share its batch; `runtime.workers` uses this).
   */
  generate(prompts: number[][], sampling: SamplingOptions, rng: Rng | readonly Rng[]): Promise<Rollout>;
  /** A differentiable forward pass; call inside `tf.variableGrads` / `optimizer.minimize`. */
  forward(batch: SequenceBatch, want?: { entropy?: boolean; values?: boolean }): ForwardOutput;
  /**
   * float32 [B, T]: the value head at every position t of the batch (after token t), differentiable.
   * Implemented by models that can carry a value head, and called only when `hasValueHead`; a reward
   * model built on the policy reads it at each row's last real token.
   */
  values?(batch: SequenceBatch): tfc.Tensor2D;
  /** Weights the optimiser updates (policy and value head). */
  trainableVariables(): tfc.Variable[];
  /** A frozen copy that shares no mutable state: the KL reference. */
  frozenCopy(): PolicyModel;
  /**
   * Write a self-contained checkpoint directory (config, tokenizer, weights). Its config.json holds
   * `"rlhfjs": { "package", "agent" }`, the package and agent plugin that load it again (the agent
   * plugin's `fromCheckpoint` and `loadModel`), plus `opts.config`'s keys.
   */
  save(dir: string, opts?: SaveOptions): Promise<void>;
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

/** How {@link ModelLoader.load} (and an agent plugin's `loadModel`) loads a policy model. */
export interface LoadModelOptions {
  /** Give the model a value head: the saved one, or, when the checkpoint has none, a fresh one drawn from `rng`. Default false (a saved head is kept). */
  valueHead?: boolean;
  /** Draws a fresh value head; needed when `valueHead` is set and the checkpoint has none. */
  rng?: Rng;
  /** Whether `trainableVariables()` returns the weights (default true); false gives a frozen model. */
  trainable?: boolean;
  /** A LoRA adapter folder (PEFT's adapter_config.json + adapter_model.safetensors) to put on the loaded base model. */
  adapter?: string;
}

/**
 * Policy models read back from checkpoint folders, for models built on a policy (a reward model
 * is a policy model with a value head read at the last token). Each folder is loaded through the
 * agent plugin that wrote it, which its config.json names (`"rlhfjs": { "package", "agent" }`), so a
 * third-party model plugin can back them too. Registered by core as `Tokens.Models`.
 */
export interface ModelLoader {
  /** The config.json of a checkpoint folder (DiagnosticError `checkpoint/missing` when there is none). */
  readConfig(dir: string): Record<string, unknown>;
  /** Load the model saved in `dir` (DiagnosticError `checkpoint/no-model-loading` when its agent plugin has no `loadModel`). */
  load(dir: string, opts?: LoadModelOptions): Promise<PolicyModel>;
}
