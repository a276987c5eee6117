import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { DiagnosticError, Tokens, adamOptimizer, definePlugin, ensureGradients, writeJsonAtomic, type Job, type JobContext, type JobResult, type RewardContext, type RewardResult, type RewardSample, type RewardSource, type Rng } from '@rlhfjs/core';
import { readLabels } from '../labels/reader';
import type { LabelRecord } from '../labels/format';
import { accuracy, auc, pairwiseAccuracy } from './metrics';
import { RewardModel, balancedClassWeights, binaryCrossEntropy, bradleyTerry } from './reward-model';
import { JobProgress } from './progress';

export interface RewardModelData {
  pointwise: Array<{ prompt: string; completion: string; target: number }>;
  pairs: Array<{ prompt: string; chosen: string; rejected: string }>;
}

/** Pointwise labels become targets (1 = good; `invert` flips a 1 = bad label), answered pairs become preferences; skips are dropped. */
export function rewardModelData(labels: readonly LabelRecord[], invert: boolean | undefined): RewardModelData {
  const data: RewardModelData = { pointwise: [], pairs: [] };
  for (const l of labels) {
    if (l.skipped) continue;
    if (l.type === 'pointwise' && l.label !== null) {
      if (invert === undefined) continue;
      data.pointwise.push({ prompt: l.prompt, completion: l.completion, target: invert ? 1 - l.label : l.label });
    } else if (l.type === 'pair' && l.chosen !== null && l.rejected !== null) data.pairs.push({ prompt: l.prompt, chosen: l.chosen, rejected: l.rejected });
  }
  return data;
}

export interface TrainRewardModelSettings {
  init: string;
  labels: string;
  output?: string;
  objective: 'auto' | 'pointwise' | 'pairs';
  invert?: boolean;
  epochs: number;
  batchSize: number;
  learningRate: number;
  margin: number;
  testFraction: number;
  logEvery: number;
  classWeights: 'none' | 'balanced';
}

interface HeldOut {
  [k: string]: number;
}

/** Train a reward model from pointwise 0/1 labels (cross-entropy) or pairs (Bradley–Terry). */
export class TrainRewardModelJob implements Job {
  constructor(private readonly s: TrainRewardModelSettings) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const c = ctx.container;
    const { tf } = c.resolve(Tokens.Runtime);
    ensureGradients(tf);
    const rng = c.resolve(Tokens.Rng).fork('train-reward-model');
    const { labels } = readLabels(this.s.labels, { strict: true, mustExist: true });
    const hasPairs = labels.some((l) => l.type === 'pair' && !l.skipped);
    const objective = this.s.objective === 'auto' ? (hasPairs ? 'pairs' : 'pointwise') : this.s.objective;
    const where = { plugin: 'job/train-reward-model', file: this.s.labels };
    if (objective === 'pointwise' && this.s.invert === undefined) {
      throw new DiagnosticError({ ...where, code: 'reward-model/invert', pointer: '/job/options/invert', message: 'training on pointwise 0/1 labels needs "invert": whether label 1 means bad (true, e.g. toxic) or good (false)', fix: 'add invert: true for toxicity labels (1 = toxic), invert: false when 1 means good' });
    }
    const data = rewardModelData(labels, this.s.invert);
    const rows = objective === 'pairs' ? data.pairs : data.pointwise;
    if (rows.length < 2) {
      throw new DiagnosticError({ ...where, code: 'reward-model/no-data', message: `${this.s.labels} holds ${rows.length} usable ${objective === 'pairs' ? 'answered pairs' : 'pointwise labels'}; at least 2 are needed`, fix: 'collect more with the `label` job' });
    }
    const shuffled = rng.fork('split').shuffle([...rows] as unknown[]);
    const nTest = Math.max(1, Math.round(shuffled.length * this.s.testFraction));
    const test = shuffled.slice(shuffled.length - nTest);
    const train = shuffled.slice(0, shuffled.length - nTest);

    const rm = await RewardModel.fromPolicy(tf, c.resolve(Tokens.Models), this.s.init, rng.fork('head'));
    const evaluate = async (): Promise<HeldOut> => {
      if (objective === 'pairs') {
        const t = test as RewardModelData['pairs'];
        const rc = await rm.score(t.map((p) => ({ prompt: p.prompt, completion: p.chosen })), this.s.batchSize);
        const rr = await rm.score(t.map((p) => ({ prompt: p.prompt, completion: p.rejected })), this.s.batchSize);
        return { pairwiseAccuracy: pairwiseAccuracy(rc, rr), meanMargin: rc.reduce((s, x, i) => s + x - rr[i], 0) / t.length, n: t.length };
      }
      const t = test as RewardModelData['pointwise'];
      const r = await rm.score(t, this.s.batchSize);
      const y = t.map((p) => p.target);
      const pos = y.filter((v) => v === 1).length / y.length;
      // accuracy of always answering the majority class: what `accuracy` must beat on unbalanced labels
      return { accuracy: accuracy(r, y), majorityAccuracy: Math.max(pos, 1 - pos), auc: auc(r, y), n: t.length };
    };
    try {
      const before = await evaluate();
      const opt = adamOptimizer(tf, this.s.learningRate);
      const history: Array<{ epoch: number; loss: number }> = [];
      const order = train.map((_, i) => i);
      const shuffle: Rng = rng.fork('shuffle');
      const stepsPerEpoch = Math.ceil(order.length / this.s.batchSize);
      const classWeight =
        objective === 'pointwise' && this.s.classWeights === 'balanced' ? balancedClassWeights((train as RewardModelData['pointwise']).map((p) => p.target)) : undefined;
      const progress = new JobProgress(c, 'train-reward-model', stepsPerEpoch * this.s.epochs);
      let step = 0;
      let windowLoss = 0;
      let windowRows = 0;
      let t0 = Date.now();
      try {
        for (let epoch = 1; epoch <= this.s.epochs; epoch++) {
          shuffle.shuffle(order);
          let total = 0;
          for (let i = 0; i < order.length; i += this.s.batchSize) {
            if (ctx.signal?.aborted) throw new Error('train-reward-model aborted');
            const idx = order.slice(i, i + this.s.batchSize);
            const vars = rm.model.trainableVariables();
            const loss = tf.tidy(() =>
              opt.minimize(
                () => {
                  if (objective === 'pairs') {
                    const b = idx.map((k) => train[k] as RewardModelData['pairs'][number]);
                    const r = rm.rewards([...b.map((p) => rm.encode({ prompt: p.prompt, completion: p.chosen })), ...b.map((p) => rm.encode({ prompt: p.prompt, completion: p.rejected }))]);
                    const n = b.length;
                    return bradleyTerry(tf, tf.slice(r, 0, n) as tfc.Tensor1D, tf.slice(r, n, n) as tfc.Tensor1D, this.s.margin);
                  }
                  const b = idx.map((k) => train[k] as RewardModelData['pointwise'][number]);
                  const weights = classWeight ? tf.tensor1d(b.map((p) => classWeight[p.target])) : undefined;
                  return binaryCrossEntropy(tf, rm.rewards(b.map((p) => rm.encode(p))), tf.tensor1d(b.map((p) => p.target)), weights);
                },
                true,
                vars,
              ) as tfc.Scalar,
            );
            const l = (await loss.data())[0];
            loss.dispose();
            total += l * idx.length;
            windowLoss += l * idx.length;
            windowRows += idx.length;
            step += 1;
            if (step % this.s.logEvery === 0 || step === stepsPerEpoch * this.s.epochs) {
              await progress.log(step, { 'train/loss': windowLoss / windowRows, 'train/epoch': epoch, 'train/ms_per_step': (Date.now() - t0) / (windowRows / idx.length) });
              windowLoss = 0;
              windowRows = 0;
              t0 = Date.now();
            }
          }
          history.push({ epoch, loss: total / order.length });
        }
      } finally {
        opt.dispose();
      }
      const after = await evaluate();
      await progress.log(step, Object.fromEntries(Object.entries(after).map(([k, v]) => [`heldout/${k}`, v])));
      await progress.close();
      const out = this.s.output ?? path.join(ctx.runDir, 'reward-model');
      const info = { objective, classWeights: classWeightInfo(objective, this.s.classWeights), labels: this.s.labels, init: this.s.init, invert: this.s.invert ?? null, examples: { train: train.length, test: test.length }, heldOut: after, heldOutBeforeTraining: before };
      await rm.save(out, info);
      writeJsonAtomic(path.join(ctx.runDir, 'reward-model-history.json'), history);
      return { summary: { checkpoint: out, objective, trainExamples: train.length, heldOutExamples: test.length, heldOut: after, heldOutBeforeTraining: before, finalTrainLoss: history.at(-1)?.loss ?? null } };
    } finally {
      rm.dispose();
    }
  }
}

export const trainRewardModelJob = definePlugin({
  kind: 'job',
  name: 'train-reward-model',
  description: 'Train a reward model (the base policy GPT with a scalar head) from pointwise 0/1 labels (cross-entropy) or preference pairs (Bradley–Terry), reporting held-out accuracy or pairwise accuracy.',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['init', 'labels'],
    properties: {
      init: { type: 'string', minLength: 1, description: 'Policy checkpoint folder (written by @rlhfjs/plugin-lm) the reward model starts from; its scalar head is drawn fresh.' },
      labels: { type: 'string', minLength: 1, description: 'Labels file (JSONL, docs/human-feedback.md), relative to the recipe.' },
      output: { type: 'string', minLength: 1, description: 'Folder to write the reward model to, relative to the recipe (default: `reward-model/` in the run directory).' },
      objective: {
        type: 'string',
        enum: ['auto', 'pointwise', 'pairs'],
        default: 'auto',
        description: '"pairs": Bradley–Terry, −log σ(r_chosen − r_rejected − margin). "pointwise": cross-entropy of σ(r) against the 0/1 label. "auto": pairs when the file has answered pairs, else pointwise.',
      },
      invert: {
        type: 'boolean',
        description: 'Pointwise only, and then required: true when label 1 means bad (e.g. toxic), so the model learns r > 0 for label 0; false when label 1 means good.',
      },
      epochs: { type: 'integer', minimum: 1, default: 2, description: 'Passes over the training labels.' },
      batchSize: { type: 'integer', minimum: 1, default: 8, description: 'Labels (pointwise) or pairs per optimiser step; a pair is two sequences.' },
      learningRate: { type: 'number', exclusiveMinimum: 0, default: 0.0001, description: 'Adam learning rate.' },
      margin: { type: 'number', default: 0, description: 'Bradley–Terry margin subtracted from r_chosen − r_rejected.' },
      testFraction: { type: 'number', exclusiveMinimum: 0, maximum: 0.5, default: 0.1, description: 'Share of labels (seeded shuffle) held out for the reported accuracy; at least one.' },
      classWeights: {
        type: 'string',
        enum: ['balanced', 'none'],
        default: 'balanced',
        description:
          'Pointwise only. "balanced": weight each label by n / (2·n_class), so a rare class (e.g. 1% toxic) counts as much as the common one; "none": every label counts the same (the model may then learn to answer the common class).',
      },
      logEvery: { type: 'integer', minimum: 1, default: 20, description: 'Write the mean training loss to metrics.jsonl and the loggers every this many optimiser steps.' },
    },
  } as const,
  create: ({ options, resolvePath }) =>
    new TrainRewardModelJob({ ...options, init: resolvePath(options.init), labels: resolvePath(options.labels), output: options.output ? resolvePath(options.output) : undefined }),
});

function classWeightInfo(objective: string, w: string): string | null {
  return objective === 'pointwise' ? w : null;
}

/** Reward = the reward model's scalar for prompt + completion. */
export class RewardModelReward implements RewardSource {
  constructor(
    private readonly rm: RewardModel,
    private readonly batchSize: number,
  ) {}

  async score(samples: RewardSample[], _ctx: RewardContext): Promise<RewardResult> {
    return { scores: await this.rm.score(samples, this.batchSize) };
  }

  close(): void {
    this.rm.dispose();
  }
}

export const rewardModelReward = definePlugin({
  kind: 'reward',
  name: 'reward-model',
  description: 'Reward from a reward model trained by `train-reward-model`: its scalar at the last token of prompt + completion.',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['checkpoint'],
    properties: {
      checkpoint: { type: 'string', minLength: 1, description: 'Folder written by the `train-reward-model` job, relative to the recipe.' },
      batchSize: { type: 'integer', minimum: 1, default: 16, description: 'Sequences per forward pass (memory, not the result).' },
    },
  } as const,
  create: async ({ options, resolvePath, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const { rm } = await RewardModel.load(tf, container.resolve(Tokens.Models), resolvePath(options.checkpoint), { pointer });
    return new RewardModelReward(rm, options.batchSize);
  },
});
