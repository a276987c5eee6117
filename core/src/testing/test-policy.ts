import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { encodePromptWith } from '../agent/prompt';
import type { EncodedPrompt, ForwardOutput, PolicyModel, Rollout, SamplingOptions, SequenceBatch, Tokenizer } from '../contract/agent';
import type { TF } from '../contract/tensor-runtime';
import type { Rng } from '../runtime/rng';

/**
 * A real, if tiny, language model for algorithm tests: the next token depends only on the previous
 * one (a V×V table of logits), with an optional value head (one number per previous token). It
 * trains through the same PolicyModel contract as the GPT, takes log-probs with one-hot × logSoftmax,
 * and samples from the table with the given Rng. Letters a–f, id 0 = EOS and padding, id 1 = BOS.
 */
export class CharTokenizer implements Tokenizer {
  readonly vocabSize = 8;
  readonly eosId = 0;
  readonly padId = 0;
  readonly bosId = 1;
  encode(text: string): number[] {
    return [...text].map((c) => {
      const id = 'abcdef'.indexOf(c);
      if (id < 0) throw new Error(`CharTokenizer: "${c}" is not one of a–f`);
      return id + 2;
    });
  }
  decode(ids: readonly number[]): string {
    return ids
      .filter((i) => i >= 2)
      .map((i) => 'abcdef'[i - 2])
      .join('');
  }
}

let counter = 0;

export class BigramPolicy implements PolicyModel {
  readonly tokenizer = new CharTokenizer();
  readonly contextSize = 24;
  private readonly W: Variable;
  private readonly V: Variable | null;

  constructor(
    private readonly tf: TF,
    init: { logits: number[][]; values?: number[] },
    private readonly trainable = true,
  ) {
    const id = counter++;
    this.W = tf.variable(tf.tensor2d(init.logits), trainable, `bigram${id}/logits`);
    this.V = init.values ? tf.variable(tf.tensor1d(init.values), trainable, `bigram${id}/value`) : null;
  }

  /** Logits near uniform with a little seeded noise; letter `favour` gets `bias` extra everywhere. */
  static create(tf: TF, rng: Rng, opts: { valueHead?: boolean; favour?: number; bias?: number } = {}): BigramPolicy {
    const n = 8;
    const logits = Array.from({ length: n }, () => Array.from({ length: n }, () => 0.1 * rng.normal()));
    for (const row of logits) {
      row[1] = -4; // BOS is never generated
      row[0] -= 1; // EOS a little rarer, so completions have a few tokens
      if (opts.favour !== undefined) row[opts.favour] += opts.bias ?? 0;
    }
    return new BigramPolicy(tf, { logits, values: opts.valueHead ? new Array(n).fill(0) : undefined });
  }

  get hasValueHead(): boolean {
    return this.V !== null;
  }

  encodePrompt(prompt: string, room: number, continuation?: string | readonly number[]): EncodedPrompt {
    return encodePromptWith(this.tokenizer, prompt, room, continuation);
  }

  forward(batch: SequenceBatch, want: { entropy?: boolean; values?: boolean } = {}): ForwardOutput {
    const tf = this.tf;
    // tidy keeps the tensors of the returned object; ForwardOutput has no index signature, hence the casts
    const kept = tf.tidy(() => {
      const [B, T] = batch.ids.shape;
      const n = this.tokenizer.vocabSize;
      const prev = tf.slice(batch.ids, [0, 0], [B, T - 1]);
      const next = tf.slice(batch.ids, [0, 1], [B, T - 1]);
      const prevHot = tf.reshape(tf.oneHot(tf.reshape(prev, [-1]), n), [B * (T - 1), n]);
      const logp = tf.logSoftmax(tf.matMul(prevHot, this.W));
      const nextHot = tf.oneHot(tf.reshape(next, [-1]), n);
      const out: ForwardOutput = { logprobs: tf.reshape(tf.sum(tf.mul(logp, nextHot), 1), [B, T - 1]) as Tensor2D };
      if (want.entropy) out.entropy = tf.reshape(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)), [B, T - 1]) as Tensor2D;
      if (want.values && this.V) out.values = tf.reshape(tf.matMul(prevHot, tf.reshape(this.V, [n, 1])), [B, T - 1]) as Tensor2D;
      return out as unknown as Record<string, Tensor>;
    });
    return kept as unknown as ForwardOutput;
  }

  async generate(prompts: number[][], sampling: SamplingOptions, rng: Rng): Promise<Rollout> {
    const table = this.W.arraySync() as number[][];
    const vals = this.V ? (this.V.arraySync() as number[]) : null;
    const temp = sampling.temperature;
    const responseIds: number[][] = [];
    const responseLogprobs: number[][] = [];
    const values: number[][] = [];
    for (const p of prompts) {
      let prev = p[p.length - 1];
      const ids: number[] = [];
      const lps: number[] = [];
      const vs: number[] = [];
      for (let t = 0; t < sampling.maxNewTokens && p.length + ids.length < this.contextSize; t++) {
        const row = table[prev].map((x) => x / temp);
        const m = Math.max(...row);
        const z = row.reduce((a, x) => a + Math.exp(x - m), 0);
        const u = rng.next();
        let acc = 0;
        let tok = row.length - 1;
        for (let k = 0; k < row.length; k++) {
          acc += Math.exp(row[k] - m) / z;
          if (u < acc) {
            tok = k;
            break;
          }
        }
        ids.push(tok);
        lps.push(row[tok] - m - Math.log(z));
        if (vals) vs.push(vals[prev]);
        prev = tok;
        if (tok === this.tokenizer.eosId) break;
      }
      responseIds.push(ids);
      responseLogprobs.push(lps);
      values.push(vs);
    }
    return {
      promptIds: prompts,
      responseIds,
      responseLogprobs,
      ...(vals ? { values } : {}),
      prompts: prompts.map((p) => this.tokenizer.decode(p)),
      completions: responseIds.map((r) => this.tokenizer.decode(r)),
    };
  }

  trainableVariables(): Variable[] {
    return this.trainable ? (this.V ? [this.W, this.V] : [this.W]) : [];
  }

  frozenCopy(): PolicyModel {
    return new BigramPolicy(this.tf, { logits: this.W.arraySync() as number[][], values: this.V ? (this.V.arraySync() as number[]) : undefined }, false);
  }

  async save(): Promise<void> {
    throw new Error('BigramPolicy is a test model and is not saved');
  }

  namedWeights(): Map<string, Tensor> {
    const m = new Map<string, Tensor>([['logits', this.W]]);
    if (this.V) m.set('value', this.V);
    return m;
  }

  loadNamedWeights(weights: Map<string, Tensor>): void {
    const w = weights.get('logits');
    if (w) this.W.assign(w);
    const v = weights.get('value');
    if (v && this.V) this.V.assign(v);
  }

  /** Probability of token `tok` after token `prev`. */
  prob(prev: number, tok: number): number {
    const row = (this.W.arraySync() as number[][])[prev];
    const m = Math.max(...row);
    const z = row.reduce((a, x) => a + Math.exp(x - m), 0);
    return Math.exp(row[tok] - m) / z;
  }

  dispose(): void {
    this.W.dispose();
    this.V?.dispose();
  }
}
