import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Scalar } from '@tensorflow/tfjs-core';
import {
  Tokens,
  definePlugin,
  disposePacked,
  packRollout,
  writeJsonAtomic,
  type AdamW,
  type OfflineAlgorithm,
  type PolicyModel,
  type Rng,
  type RngState,
  type TF,
  type UpdateResult,
} from '@rlhfjs/core';
import { dpoLoss } from '../math/dpo-loss';
import { maskedRowSum } from '@rlhfjs/core';
import { policyOptimizer, range } from '@rlhfjs/core';
import { readPairs } from './pairs-file';
import { encodePair, type EncodedPair } from './encode-pair';
import { dpoOptionsSchema, type DPOOptions } from './dpo.options';

interface DPOState {
  algorithm: 'dpo';
  rng: RngState;
  epoch: number;
  cursor: number;
  order: number[];
  pairs: number;
}

const STATE_FILE = 'algorithm-state.json';

/**
 * Direct Preference Optimisation (Rafailov et al. 2023) on a fixed file of preference pairs:
 * loss = −log σ(β·[(logπ(y_w) − logπ_ref(y_w)) − (logπ(y_l) − logπ_ref(y_l))]), with sequence
 * log-probs summed over the completion tokens. Each step takes the next `minibatchSize` pairs of a
 * shuffled pass over the file; the reference log-probs are computed once per pair and cached.
 */
export class DPO implements OfflineAlgorithm {
  readonly mode = 'offline' as const;
  private readonly refCache = new Map<number, [number, number]>();
  private epoch = 0;
  private cursor = 0;
  private order: number[];
  /** Pairs cut to fit the context window (reported with every step). */
  readonly truncated: number;

  constructor(
    private readonly tf: TF,
    private readonly policy: PolicyModel,
    private readonly reference: PolicyModel,
    readonly pairs: readonly EncodedPair[],
    private readonly optimizer: AdamW,
    private readonly rng: Rng,
    private readonly s: DPOOptions,
  ) {
    this.order = rng.shuffle(range(0, pairs.length));
    this.truncated = pairs.filter((p) => p.truncated).length;
  }

  /** The next minibatch's pair indices; a new shuffled pass starts when the file is used up. */
  private nextIndices(): number[] {
    const out: number[] = [];
    const n = Math.min(this.s.minibatchSize, this.pairs.length);
    while (out.length < n) {
      if (this.cursor >= this.order.length) {
        this.epoch += 1;
        this.cursor = 0;
        this.order = this.rng.shuffle(range(0, this.pairs.length));
      }
      out.push(this.order[this.cursor++]);
    }
    return out;
  }

  private rows(idx: readonly number[]) {
    const promptIds = [...idx.map((i) => this.pairs[i].prompt), ...idx.map((i) => this.pairs[i].prompt)];
    const responseIds = [...idx.map((i) => this.pairs[i].chosen), ...idx.map((i) => this.pairs[i].rejected)];
    return { promptIds, responseIds };
  }

  /** Σ_t log π_ref over the completion tokens of chosen and rejected, cached per pair. */
  private referenceSums(idx: readonly number[]): [number[], number[]] {
    const missing = [...new Set(idx.filter((i) => !this.refCache.has(i)))];
    if (missing.length) {
      const packed = packRollout(this.tf, this.rows(missing), this.reference.tokenizer.padId);
      try {
        const sums = this.tf.tidy(() => maskedRowSum(this.tf, this.reference.forward(packed.batch).logprobs, packed.responseMask).arraySync() as number[]);
        missing.forEach((i, b) => this.refCache.set(i, [sums[b], sums[b + missing.length]]));
      } finally {
        disposePacked(packed);
      }
    }
    return this.cachedSums(idx);
  }

  /** {@link referenceSums} read asynchronously (the same numbers), as the training step on a GPU backend needs. */
  private async referenceSumsAsync(idx: readonly number[]): Promise<[number[], number[]]> {
    const missing = [...new Set(idx.filter((i) => !this.refCache.has(i)))];
    if (missing.length) {
      const packed = packRollout(this.tf, this.rows(missing), this.reference.tokenizer.padId);
      try {
        const t = this.tf.tidy(() => maskedRowSum(this.tf, this.reference.forward(packed.batch).logprobs, packed.responseMask));
        const sums = (await t.array()) as number[];
        t.dispose();
        missing.forEach((i, b) => this.refCache.set(i, [sums[b], sums[b + missing.length]]));
      } finally {
        disposePacked(packed);
      }
    }
    return this.cachedSums(idx);
  }

  private cachedSums(idx: readonly number[]): [number[], number[]] {
    return [idx.map((i) => (this.refCache.get(i) as [number, number])[0]), idx.map((i) => (this.refCache.get(i) as [number, number])[1])];
  }

  /** Loss and implicit rewards of pairs without changing weights (for evaluation and tests). */
  evaluate(idx: readonly number[] = range(0, this.pairs.length)): { loss: number; margin: number; accuracy: number } {
    const tf = this.tf;
    const [refC, refR] = this.referenceSums(idx);
    const packed = packRollout(tf, this.rows(idx), this.policy.tokenizer.padId);
    try {
      return tf.tidy(() => {
        const sums = maskedRowSum(tf, this.policy.forward(packed.batch).logprobs, packed.responseMask);
        const B = idx.length;
        const t = dpoLoss(tf, tf.slice(sums, [0], [B]), tf.slice(sums, [B], [B]), tf.tensor1d(refC), tf.tensor1d(refR), this.s.beta);
        const margin = tf.sub(t.chosenRewards, t.rejectedRewards);
        return {
          loss: tf.mean(t.losses).dataSync()[0],
          margin: tf.mean(margin).dataSync()[0],
          accuracy: tf.mean(tf.cast(tf.greater(margin, 0), 'float32')).dataSync()[0],
        };
      });
    } finally {
      disposePacked(packed);
    }
  }

  async step(iteration: number): Promise<UpdateResult> {
    const t0 = performance.now();
    const tf = this.tf;
    const idx = this.nextIndices();
    const B = idx.length;
    const [refC, refR] = await this.referenceSumsAsync(idx);
    const packed = packRollout(tf, this.rows(idx), this.policy.tokenizer.padId);
    let logRatio = 0;
    try {
      const res = await this.optimizer.stepAsync(() => {
        const sums = maskedRowSum(tf, this.policy.forward(packed.batch).logprobs, packed.responseMask);
        const pc = tf.slice(sums, [0], [B]);
        const pr = tf.slice(sums, [B], [B]);
        const t = dpoLoss(tf, pc, pr, tf.tensor1d(refC), tf.tensor1d(refR), this.s.beta);
        const loss = tf.mean(t.losses) as Scalar;
        const margin = tf.sub(t.chosenRewards, t.rejectedRewards);
        const report: Record<string, Scalar> = {
          'loss/dpo': loss,
          'rewards/chosen': tf.mean(t.chosenRewards) as Scalar,
          'rewards/rejected': tf.mean(t.rejectedRewards) as Scalar,
          'rewards/margin': tf.mean(margin) as Scalar,
          'rewards/accuracy': tf.mean(tf.cast(tf.greater(margin, 0), 'float32')) as Scalar,
          'logps/chosen': tf.mean(pc) as Scalar,
          'logps/rejected': tf.mean(pr) as Scalar,
        };
        return { total: loss, report };
      }, { step: iteration });
      const v = res.values;
      // (logπ − logπ_ref) of the data's completions, averaged over chosen and rejected: how far the
      // policy has moved from the reference on this data, in nats per completion
      logRatio = (v['rewards/chosen'] + v['rewards/rejected']) / (2 * this.s.beta);
      return {
        kl: logRatio,
        metrics: { ...v, 'kl/mean': logRatio, 'data/epoch': this.epoch, 'data/truncated_pairs': this.truncated, 'perf/algorithm_s': (performance.now() - t0) / 1000 },
      };
    } finally {
      disposePacked(packed);
    }
  }

  async saveState(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    await this.optimizer.save(dir);
    const state: DPOState = { algorithm: 'dpo', rng: this.rng.getState(), epoch: this.epoch, cursor: this.cursor, order: this.order, pairs: this.pairs.length };
    writeJsonAtomic(path.join(dir, STATE_FILE), state);
  }

  async loadState(dir: string): Promise<void> {
    const file = path.join(dir, STATE_FILE);
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as DPOState;
    if (state.algorithm !== 'dpo') throw new Error(`${file} holds the state of ${String(state.algorithm)}, but the recipe's algorithm is dpo`);
    if (state.pairs !== this.pairs.length) {
      throw new Error(`${file}: the run was trained on ${state.pairs} pairs but the pairs file now holds ${this.pairs.length}; resume with the same file`);
    }
    await this.optimizer.load(dir);
    this.rng.setState(state.rng);
    this.epoch = state.epoch;
    this.cursor = state.cursor;
    this.order = state.order;
  }
}

export const dpoPlugin = definePlugin({
  kind: 'algorithm',
  name: 'dpo',
  // the policy and its frozen reference; no environment, rewards or KL controller
  requires: ['agent'],
  description: 'DPO: trains the policy directly on preference pairs {prompt, chosen, rejected} against the frozen reference; no reward model, no sampling.',
  options: dpoOptionsSchema,
  create: ({ options, container, resolvePath, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const policy = container.resolve(Tokens.Policy);
    const reference = container.resolve(Tokens.Reference);
    const pairs = readPairs(resolvePath(options.pairsFile), options.pairsFile, 'algorithm/dpo', `${pointer}/options/pairsFile`);
    const encoded = pairs.map((p) => encodePair(policy, p, options.appendEos));
    const rng = container.resolve(Tokens.Rng).fork('algorithm/dpo');
    const optimizer = policyOptimizer(tf, policy, { plugin: 'dpo', learningRate: options.learningRate, maxGradNorm: options.maxGradNorm });
    return new DPO(tf, policy, reference, encoded, optimizer, rng, options);
  },
});
