import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { AdamW, CheckpointedJob, DiagnosticError, Tokens, definePlugin, ensureGradients, writeJsonAtomic, type JobContext, type JobResult, type OptionsOf, type RewardContext, type RewardResult, type RewardSample, type RewardSource, type Rng } from '@rlhfjs/core';
import { readLabels } from '../labels/reader';
import type { LabelRecord } from '../labels/format';
import { nextBatch, startPosition, stepTaken, type EpochPosition } from './epochs';
import { accuracy, auc, pairwiseAccuracy } from './metrics';
import { RewardModel, balancedClassWeights, binaryCrossEntropy, bradleyTerry } from './reward-model';

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

export const trainRewardModelOptionsSchema = {
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
} as const;

export type TrainRewardModelOptions = OptionsOf<typeof trainRewardModelOptionsSchema>;

interface HeldOut {
  [k: string]: number;
}

/** What a checkpoint holds besides the model and the optimiser (train_state.json). */
interface TrainState extends EpochPosition {
  /** Σ loss·rows of the open logging window, and its rows. */
  windowLoss: number;
  windowRows: number;
  history: Array<{ epoch: number; loss: number }>;
  before: HeldOut;
}

const STATE_FILE = 'train_state.json';
const PLUGIN = 'job/train-reward-model';

/**
 * Train a reward model from pointwise 0/1 labels (cross-entropy) or pairs (Bradley–Terry), with
 * the training kit's Adam. Optimiser step s (0-based) is logged at s; a checkpoint after n steps
 * holds the model, the optimiser, the shuffled order and its position, so a resumed run takes and
 * logs the same steps as an uninterrupted one.
 */
export class TrainRewardModelJob extends CheckpointedJob<TrainRewardModelOptions, { rm: RewardModel; opt: AdamW; st: TrainState; info: Record<string, unknown> }> {
  protected readonly name = 'train-reward-model';
  protected readonly checkpointFiles = [STATE_FILE];

  protected async save(live: { rm: RewardModel; opt: AdamW; st: TrainState; info: Record<string, unknown> }, dir: string): Promise<void> {
    await live.rm.save(dir, live.info);
    await live.opt.save(dir);
    writeJsonAtomic(path.join(dir, STATE_FILE), live.st);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const c = ctx.container;
    const { tf } = c.resolve(Tokens.Runtime);
    ensureGradients(tf);
    const metrics = ctx.metrics;
    const recipe = c.resolve(Tokens.Recipe);
    const o = this.o;
    const labelsFile = this.resolvePath(o.labels);
    const init = this.resolvePath(o.init);
    const rng = c.resolve(Tokens.Rng).fork('train-reward-model');
    const { labels } = readLabels(labelsFile, { strict: true, mustExist: true });
    const hasPairs = labels.some((l) => l.type === 'pair' && !l.skipped);
    const objective = o.objective === 'auto' ? (hasPairs ? 'pairs' : 'pointwise') : o.objective;
    const where = { plugin: PLUGIN, file: labelsFile };
    if (objective === 'pointwise' && o.invert === undefined) {
      throw new DiagnosticError({ ...where, code: 'reward-model/invert', pointer: '/job/options/invert', message: 'training on pointwise 0/1 labels needs "invert": whether label 1 means bad (true, e.g. toxic) or good (false)', fix: 'add invert: true for toxicity labels (1 = toxic), invert: false when 1 means good' });
    }
    const data = rewardModelData(labels, o.invert);
    const rows = objective === 'pairs' ? data.pairs : data.pointwise;
    if (rows.length < 2) {
      throw new DiagnosticError({ ...where, code: 'reward-model/no-data', message: `${labelsFile} holds ${rows.length} usable ${objective === 'pairs' ? 'answered pairs' : 'pointwise labels'}; at least 2 are needed`, fix: 'collect more with the `label` job' });
    }
    const shuffled = rng.fork('split').shuffle([...rows] as unknown[]);
    const nTest = Math.max(1, Math.round(shuffled.length * o.testFraction));
    const test = shuffled.slice(shuffled.length - nTest);
    const train = shuffled.slice(0, shuffled.length - nTest);

    const from = this.restoreFrom;
    const models = c.resolve(Tokens.Models);
    const rm = from ? (await RewardModel.load(tf, models, from, { trainable: true, pointer: '/job' })).rm : await RewardModel.fromPolicy(tf, models, init, rng.fork('head'));
    const evaluate = async (): Promise<HeldOut> => {
      if (objective === 'pairs') {
        const t = test as RewardModelData['pairs'];
        const rc = await rm.score(t.map((p) => ({ prompt: p.prompt, completion: p.chosen })), o.batchSize);
        const rr = await rm.score(t.map((p) => ({ prompt: p.prompt, completion: p.rejected })), o.batchSize);
        return { pairwiseAccuracy: pairwiseAccuracy(rc, rr), meanMargin: rc.reduce((s, x, i) => s + x - rr[i], 0) / t.length, n: t.length };
      }
      const t = test as RewardModelData['pointwise'];
      const r = await rm.score(t, o.batchSize);
      const y = t.map((p) => p.target);
      const pos = y.filter((v) => v === 1).length / y.length;
      // accuracy of always answering the majority class: what `accuracy` must beat on unbalanced labels
      return { accuracy: accuracy(r, y), majorityAccuracy: Math.max(pos, 1 - pos), auc: auc(r, y), n: t.length };
    };
    const opt = new AdamW(tf, rm.model.trainableVariables(), { learningRate: o.learningRate, owner: { plugin: PLUGIN, pointer: '/job/options/learningRate' } });
    try {
      const shuffle: Rng = rng.fork('shuffle');
      let st: TrainState;
      if (from) {
        st = JSON.parse(fs.readFileSync(path.join(from, STATE_FILE), 'utf8')) as TrainState;
        await opt.load(from);
        shuffle.setState(st.shuffle);
      } else {
        st = { ...startPosition(train.length, shuffle), windowLoss: 0, windowRows: 0, history: [], before: await evaluate() };
      }
      const info = { objective, classWeights: classWeightInfo(objective, o.classWeights), labels: labelsFile, init, invert: o.invert ?? null, examples: { train: train.length, test: test.length } };
      this.live = { rm, opt, st, info };
      const stepsPerEpoch = Math.ceil(st.order.length / o.batchSize);
      const totalSteps = stepsPerEpoch * o.epochs;
      metrics.plan(totalSteps);
      const classWeight =
        objective === 'pointwise' && o.classWeights === 'balanced' ? balancedClassWeights((train as RewardModelData['pointwise']).map((p) => p.target)) : undefined;
      const every = recipe.runtime.checkpointEvery;
      let t0 = Date.now();
      while (st.epoch <= o.epochs) {
        if (ctx.signal?.aborted) throw new Error('train-reward-model aborted');
        const idx = nextBatch(st, shuffle, o.batchSize);
        const { values } = await opt.stepAsync(
          () => {
            if (objective === 'pairs') {
              const b = idx.map((k) => train[k] as RewardModelData['pairs'][number]);
              const r = rm.rewards([...b.map((p) => rm.encode({ prompt: p.prompt, completion: p.chosen })), ...b.map((p) => rm.encode({ prompt: p.prompt, completion: p.rejected }))]);
              const n = b.length;
              return bradleyTerry(tf, tf.slice(r, 0, n) as tfc.Tensor1D, tf.slice(r, n, n) as tfc.Tensor1D, o.margin);
            }
            const b = idx.map((k) => train[k] as RewardModelData['pointwise'][number]);
            const weights = classWeight ? tf.tensor1d(b.map((p) => classWeight[p.target])) : undefined;
            return binaryCrossEntropy(tf, rm.rewards(b.map((p) => rm.encode(p))), tf.tensor1d(b.map((p) => p.target)), weights);
          },
          { step: st.step },
        );
        const l = values['loss/total'];
        const epoch = st.epoch;
        st.windowLoss += l * idx.length;
        st.windowRows += idx.length;
        const finished = stepTaken(st, shuffle, l, idx.length, o.batchSize);
        if (finished) st.history.push(finished);
        if (st.step % o.logEvery === 0 || st.step === totalSteps) {
          await metrics.log(st.step - 1, { 'train/loss': st.windowLoss / st.windowRows, 'train/epoch': epoch, 'train/ms_per_step': (Date.now() - t0) / (st.windowRows / idx.length) });
          st.windowLoss = 0;
          st.windowRows = 0;
          t0 = Date.now();
        }
        if (every > 0 && st.step % every === 0 && st.step < totalSteps) await ctx.checkpoint(st.step);
      }
      const after = await evaluate();
      await metrics.log(totalSteps - 1, Object.fromEntries(Object.entries(after).map(([k, v]) => [`heldout/${k}`, v])));
      const out = o.output ? this.resolvePath(o.output) : path.join(ctx.runDir, 'reward-model');
      const before = st.before;
      await rm.save(out, { ...info, heldOut: after, heldOutBeforeTraining: before });
      writeJsonAtomic(path.join(ctx.runDir, 'reward-model-history.json'), st.history);
      return { summary: { checkpoint: out, objective, trainExamples: train.length, heldOutExamples: test.length, heldOut: after, heldOutBeforeTraining: before, finalTrainLoss: st.history.at(-1)?.loss ?? null } };
    } finally {
      this.live = undefined;
      opt.dispose();
      rm.dispose();
    }
  }
}

export const trainRewardModelJob = definePlugin({
  kind: 'job',
  name: 'train-reward-model',
  description: 'Train a reward model (the base policy GPT with a scalar head) from pointwise 0/1 labels (cross-entropy) or preference pairs (Bradley–Terry), reporting held-out accuracy or pairwise accuracy.',
  options: trainRewardModelOptionsSchema,
  create: ({ options, resolvePath }) => new TrainRewardModelJob(options, resolvePath),
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
