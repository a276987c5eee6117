import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { AdamW, readSafetensors, writeJsonAtomic, writeSafetensors, type NamedTensor, type Rng, type TF } from '@rlhfjs/core';
import { BagOfEmbeddingsClassifier, buildVocab } from './bag-classifier';
import type { TextExample } from './data';
import type { TrainClassifierOptions } from './classifier-plugins';
import { nextBatch, startPosition, stepTaken, type EpochPosition } from './epochs';

/** The training settings of the `train-classifier` job's options, plus the label set and the class the AUC ranks by. */
export type ClassifierTrainOptions = Pick<TrainClassifierOptions, 'epochs' | 'batchSize' | 'learningRate' | 'dModel' | 'maxVocab' | 'minCount' | 'bigrams' | 'weightDecay'> & {
  classes: string[];
  /** Class whose margin the AUC ranks by. */
  positive: number;
};

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  validationLoss: number;
  validationAccuracy: number;
}

/** The position of a training run between two optimiser steps (classifier-train.json in a checkpoint). */
interface TrainState extends EpochPosition {
  history: EpochRecord[];
  /** The epoch with the lowest validation loss so far (its weights are in the weights file). */
  best: { loss: number; epoch: number } | null;
}

const STATE_FILE = 'classifier-train.json';
const WEIGHTS_FILE = 'classifier-train.safetensors';

export interface ClassifierTrainHooks {
  /** After each epoch, with the optimiser steps taken so far. */
  onEpoch?(r: EpochRecord, steps: number): void | Promise<void>;
  /** After each optimiser step (a checkpoint may be written here through {@link ClassifierTrainer.save}). */
  afterStep?(steps: number): void | Promise<void>;
}

/**
 * Train with the training kit's Adam on the training rows; after each epoch measure the validation
 * rows and keep the weights of the epoch with the lowest validation loss. Its state (weights,
 * optimiser, shuffled order and position, best epoch) saves to and restores from a folder, so a
 * resumed training takes the same steps as an uninterrupted one.
 */
export class ClassifierTrainer {
  readonly model: BagOfEmbeddingsClassifier;
  private readonly opt: AdamW;
  private readonly shuffle: Rng;
  private st: TrainState;
  private bestWeights: Float32Array[] | undefined;

  constructor(
    private readonly tf: TF,
    private readonly data: { train: TextExample[]; validation: TextExample[] },
    private readonly o: ClassifierTrainOptions,
    rng: Rng,
    owner = { plugin: 'job/train-classifier', pointer: '/job/options/learningRate' },
  ) {
    const vocab = buildVocab(
      data.train.map((r) => r.text),
      { maxVocab: o.maxVocab, minCount: o.minCount, bigrams: o.bigrams },
    );
    this.model = new BagOfEmbeddingsClassifier(tf, { classes: o.classes, vocab, dModel: o.dModel, bigrams: o.bigrams }, undefined, rng.fork('init'));
    this.opt = new AdamW(tf, this.model.variables, { learningRate: o.learningRate, owner });
    this.shuffle = rng.fork('shuffle');
    this.st = { ...startPosition(data.train.length, this.shuffle), history: [], best: null };
  }

  /** Optimiser steps of the whole training. */
  get totalSteps(): number {
    return Math.ceil(this.data.train.length / this.o.batchSize) * this.o.epochs;
  }

  get steps(): number {
    return this.st.step;
  }

  async run(hooks: ClassifierTrainHooks = {}): Promise<{ model: BagOfEmbeddingsClassifier; history: EpochRecord[]; bestEpoch: number }> {
    const { tf, model, data, o, st } = this;
    try {
      while (st.epoch <= o.epochs) {
        const rows = nextBatch(st, this.shuffle, o.batchSize).map((k) => data.train[k]);
        const { values } = await this.opt.stepAsync(
          () => {
            const x = model.encode(rows.map((r) => r.text));
            return model.loss(x, rows.map((r) => r.label), o.weightDecay) as tfc.Scalar;
          },
          { step: st.step },
        );
        const finished = stepTaken(st, this.shuffle, values['loss/total'], rows.length, o.batchSize);
        if (finished) {
          const { epoch } = finished;
          const val = data.validation.length ? await model.evaluate(data.validation, o.positive) : { loss: NaN, accuracy: NaN };
          const rec = { epoch, trainLoss: finished.loss, validationLoss: val.loss, validationAccuracy: val.accuracy };
          st.history.push(rec);
          if (!st.best || !(val.loss >= st.best.loss)) {
            st.best = { loss: val.loss, epoch };
            this.bestWeights = await Promise.all(model.variables.map(async (v) => (await v.data()) as Float32Array));
          }
          await hooks.onEpoch?.(rec, st.step);
        }
        await hooks.afterStep?.(st.step);
      }
    } finally {
      this.opt.dispose();
    }
    const best = this.bestWeights;
    if (best) model.variables.forEach((v, k) => v.assign(tf.tensor(best[k], v.shape)));
    return { model, history: st.history, bestEpoch: st.best?.epoch ?? 0 };
  }

  /** Write weights, best weights, optimiser state and position into `dir`. */
  async save(dir: string): Promise<void> {
    const tensors = new Map<string, NamedTensor>();
    const vars = this.model.variables;
    for (let k = 0; k < vars.length; k++) {
      tensors.set(`weights.${k}`, { dtype: 'F32', shape: [...vars[k].shape], data: new Float32Array(await vars[k].data()) });
      if (this.bestWeights) tensors.set(`best.${k}`, { dtype: 'F32', shape: [...vars[k].shape], data: this.bestWeights[k] });
    }
    writeSafetensors(path.join(dir, WEIGHTS_FILE), tensors);
    await this.opt.save(dir);
    writeJsonAtomic(path.join(dir, STATE_FILE), this.st);
  }

  /** Restore what {@link save} wrote. */
  async load(dir: string): Promise<void> {
    const { tensors } = readSafetensors(path.join(dir, WEIGHTS_FILE));
    const vars = this.model.variables;
    const get = (name: string, k: number) => {
      const t = tensors.get(name);
      if (!t || t.shape.join('x') !== vars[k].shape.join('x')) throw new Error(`${path.join(dir, WEIGHTS_FILE)}: ${name} is missing or has another shape than the classifier's [${vars[k].shape}]; resume with the options and data the run started with`);
      return t.data as Float32Array;
    };
    vars.forEach((v, k) => v.assign(this.tf.tensor(get(`weights.${k}`, k), v.shape)));
    this.bestWeights = tensors.has('best.0') ? vars.map((_, k) => get(`best.${k}`, k)) : undefined;
    await this.opt.load(dir);
    this.st = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as TrainState;
    this.shuffle.setState(this.st.shuffle);
  }
}

export const CLASSIFIER_TRAIN_STATE_FILE = STATE_FILE;

/** Train a classifier from scratch (see {@link ClassifierTrainer}). */
export async function trainClassifier(
  tf: TF,
  data: { train: TextExample[]; validation: TextExample[] },
  o: ClassifierTrainOptions,
  rng: Rng,
  onEpoch?: (r: EpochRecord) => void | Promise<void>,
): Promise<{ model: BagOfEmbeddingsClassifier; history: EpochRecord[]; bestEpoch: number }> {
  return new ClassifierTrainer(tf, data, o, rng).run({ onEpoch: onEpoch && ((r) => onEpoch(r)) });
}
