import { adamOptimizer, type Rng, type TF } from '@rlhfjs/core';
import { BagOfEmbeddingsClassifier, buildVocab } from './bag-classifier';
import type { TextExample } from './data';

export interface ClassifierTrainOptions {
  classes: string[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  dModel: number;
  maxVocab: number;
  minCount: number;
  bigrams: boolean;
  weightDecay: number;
  /** Class whose margin the AUC ranks by. */
  positive: number;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  validationLoss: number;
  validationAccuracy: number;
}

/**
 * Train with Adam on the training rows; after each epoch measure the validation rows and keep the
 * weights of the epoch with the lowest validation loss.
 */
export async function trainClassifier(
  tf: TF,
  data: { train: TextExample[]; validation: TextExample[] },
  o: ClassifierTrainOptions,
  rng: Rng,
  onEpoch?: (r: EpochRecord) => void | Promise<void>,
): Promise<{ model: BagOfEmbeddingsClassifier; history: EpochRecord[]; bestEpoch: number }> {
  const vocab = buildVocab(
    data.train.map((r) => r.text),
    { maxVocab: o.maxVocab, minCount: o.minCount, bigrams: o.bigrams },
  );
  const model = new BagOfEmbeddingsClassifier(tf, { classes: o.classes, vocab, dModel: o.dModel, bigrams: o.bigrams }, undefined, rng.fork('init'));
  const opt = adamOptimizer(tf, o.learningRate);
  const history: EpochRecord[] = [];
  let best: { loss: number; epoch: number; weights: Float32Array[] } | undefined;
  const order = data.train.map((_, i) => i);
  const shuffleRng = rng.fork('shuffle');
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      shuffleRng.shuffle(order);
      let total = 0;
      for (let i = 0; i < order.length; i += o.batchSize) {
        const rows = order.slice(i, i + o.batchSize).map((k) => data.train[k]);
        const loss = tf.tidy(() => {
          const x = model.encode(rows.map((r) => r.text));
          return opt.minimize(() => model.loss(x, rows.map((r) => r.label), o.weightDecay), true, model.variables) as import('@tensorflow/tfjs-core').Scalar;
        });
        total += (await loss.data())[0] * rows.length;
        loss.dispose();
      }
      const val = data.validation.length ? await model.evaluate(data.validation, o.positive) : { loss: NaN, accuracy: NaN };
      const rec = { epoch, trainLoss: total / order.length, validationLoss: val.loss, validationAccuracy: val.accuracy };
      history.push(rec);
      await onEpoch?.(rec);
      if (!best || !(val.loss >= best.loss)) {
        best = { loss: val.loss, epoch, weights: await Promise.all(model.variables.map(async (v) => (await v.data()) as Float32Array)) };
      }
    }
  } finally {
    opt.dispose();
  }
  if (best) model.variables.forEach((v, k) => v.assign(tf.tensor(best!.weights[k], v.shape)));
  return { model, history, bestEpoch: best?.epoch ?? 0 };
}
