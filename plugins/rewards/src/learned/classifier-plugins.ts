import * as path from 'node:path';
import { CheckpointedJob, DiagnosticError, Tokens, definePlugin, ensureGradients, writeJsonAtomic, type JobContext, type JobResult, type OptionsOf, type RewardContext, type RewardResult, type RewardSample, type RewardSource, type TF } from '@rlhfjs/core';
import { BagOfEmbeddingsClassifier, classMargin } from './bag-classifier';
import { loadPointwiseLabels, loadSentimentSentences, splitExamples, type TextExample } from './data';
import { CLASSIFIER_TRAIN_STATE_FILE, ClassifierTrainer } from './train-classifier';

export const trainClassifierOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    data: {
      type: 'string',
      minLength: 1,
      default: 'sentiment',
      description: '"sentiment": the 3,000 human-labelled sentences in the `sentiment` npm package (1 = positive). Otherwise a labels file (JSONL, docs/human-feedback.md) whose pointwise 0/1 labels are the classes.',
    },
    output: { type: 'string', minLength: 1, description: 'Folder to write the classifier to, relative to the recipe (default: `classifier/` in the run directory).' },
    classes: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 2,
      maxItems: 2,
      description: 'Names of class 0 and class 1 (default ["negative", "positive"] for sentiment, ["0", "1"] for a labels file). The `classifier` reward names its wanted class with one of these.',
    },
    epochs: { type: 'integer', minimum: 1, default: 10, description: 'Passes over the training rows; the weights of the epoch with the lowest validation loss are kept.' },
    batchSize: { type: 'integer', minimum: 1, default: 32, description: 'Texts per optimiser step.' },
    learningRate: { type: 'number', exclusiveMinimum: 0, default: 0.005, description: 'Adam learning rate.' },
    dModel: { type: 'integer', minimum: 1, default: 32, description: 'Embedding width.' },
    maxVocab: { type: 'integer', minimum: 1, default: 8000, description: 'Most features (words and word pairs) kept, the most frequent first.' },
    minCount: { type: 'integer', minimum: 1, default: 1, description: 'A feature must occur this often in the training rows to be kept.' },
    bigrams: { type: 'boolean', default: true, description: 'Use word pairs ("not good") as features besides single words.' },
    weightDecay: { type: 'number', minimum: 0, default: 0.00001, description: 'L2 penalty on the embedding table (sum of squares times this).' },
    validationFraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of rows (after a seeded shuffle) used to pick the best epoch.' },
    testFraction: { type: 'number', exclusiveMinimum: 0, maximum: 0.5, default: 0.1, description: 'Share of rows held out for the reported accuracy and AUC; never trained on or used to pick the epoch.' },
  },
} as const;

export type TrainClassifierOptions = OptionsOf<typeof trainClassifierOptionsSchema>;

const PLUGIN = 'job/train-classifier';

/**
 * Train a bag-of-embeddings classifier and report held-out accuracy and AUC. Optimiser step s
 * (0-based) counts as step s; each epoch's line is logged at its last step, and a checkpoint every
 * runtime.checkpointEvery steps holds everything a resumed run needs to take the same steps.
 */
export class TrainClassifierJob extends CheckpointedJob<TrainClassifierOptions, ClassifierTrainer> {
  protected readonly name = 'train-classifier';
  protected readonly checkpointFiles = [CLASSIFIER_TRAIN_STATE_FILE];

  protected save(trainer: ClassifierTrainer, dir: string): Promise<void> {
    return trainer.save(dir);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const c = ctx.container;
    const { tf } = c.resolve(Tokens.Runtime);
    ensureGradients(tf);
    const metrics = ctx.metrics;
    const every = c.resolve(Tokens.Recipe).runtime.checkpointEvery;
    const o = this.o;
    const rng = c.resolve(Tokens.Rng).fork('train-classifier');
    let rows: TextExample[];
    let classes: string[];
    if (o.data === 'sentiment') {
      rows = loadSentimentSentences();
      classes = o.classes ? [...o.classes] : ['negative', 'positive'];
    } else {
      rows = loadPointwiseLabels(this.resolvePath(o.data));
      classes = o.classes ? [...o.classes] : ['0', '1'];
    }
    if (classes.length !== 2) throw new DiagnosticError({ code: 'classifier/classes', message: `classes must name 2 classes (0 and 1), got ${classes.length}`, pointer: '/job/options/classes', plugin: PLUGIN });
    const split = splitExamples(rows, rng.fork('split'), { validation: o.validationFraction, test: o.testFraction });
    const trainer = new ClassifierTrainer(tf, split, { ...o, classes, positive: 1 }, rng);
    if (this.restoreFrom) await trainer.load(this.restoreFrom);
    this.live = trainer;
    const total = trainer.totalSteps;
    metrics.plan(total);
    let trained: Awaited<ReturnType<ClassifierTrainer['run']>>;
    try {
      trained = await trainer.run({
        onEpoch: (r, steps) => metrics.log(steps - 1, { 'train/loss': r.trainLoss, 'train/epoch': r.epoch, 'validation/loss': r.validationLoss, 'validation/accuracy': r.validationAccuracy }),
        afterStep: async (steps) => {
          if (every > 0 && steps % every === 0 && steps < total) await ctx.checkpoint(steps);
        },
      });
    } finally {
      this.live = undefined;
    }
    const { model, history, bestEpoch } = trained;
    try {
      const test = split.test.length ? await model.evaluate(split.test, 1) : undefined;
      const validation = split.validation.length ? await model.evaluate(split.validation, 1) : undefined;
      const out = o.output ? this.resolvePath(o.output) : path.join(ctx.runDir, 'classifier');
      const info = {
        data: o.data,
        examples: { train: split.train.length, validation: split.validation.length, test: split.test.length },
        positiveShare: rows.filter((r) => r.label === 1).length / rows.length,
        vocab: model.config.vocab.length,
        bestEpoch,
        validation,
        test,
      };
      await model.save(out, { metrics: info });
      writeJsonAtomic(path.join(ctx.runDir, 'classifier-history.json'), history);
      return {
        summary: {
          checkpoint: out,
          heldOutAccuracy: test?.accuracy ?? null,
          heldOutAuc: test?.auc ?? null,
          heldOutLoss: test?.loss ?? null,
          heldOutExamples: test?.n ?? 0,
          heldOutMajorityAccuracy: split.test.length ? Math.max(...[0, 1].map((k) => split.test.filter((r) => r.label === k).length / split.test.length)) : null,
          validationAccuracy: validation?.accuracy ?? null,
          bestEpoch,
          vocab: model.config.vocab.length,
        },
      };
    } finally {
      model.dispose();
    }
  }
}

export const trainClassifierJob = definePlugin({
  kind: 'job',
  name: 'train-classifier',
  description: 'Train a bag-of-embeddings text classifier (the UCI sentiment sentences shipped in the `sentiment` package, or 0/1 labels from a labels file) and report held-out accuracy and AUC.',
  options: trainClassifierOptionsSchema,
  create: ({ options, resolvePath }) => new TrainClassifierJob(options, resolvePath),
});

export type ClassifierOutput = 'logprob' | 'logit' | 'prob';

/** Reward = how strongly the classifier sees the wanted class in the completion. */
export class ClassifierReward implements RewardSource {
  constructor(
    private readonly model: BagOfEmbeddingsClassifier,
    private readonly classIndex: number,
    private readonly output: ClassifierOutput,
    private readonly text: 'completion' | 'prompt-and-completion',
  ) {}

  async score(samples: RewardSample[], _ctx: RewardContext): Promise<RewardResult> {
    const lp = await this.model.logProbs(samples.map((s) => (this.text === 'completion' ? s.completion : s.prompt + s.completion)));
    const c = this.classIndex;
    const scores = lp.map((p) => (this.output === 'logprob' ? p[c] : this.output === 'prob' ? Math.exp(p[c]) : classMargin(p, c)));
    return { scores, details: { prob: lp.map((p) => Math.exp(p[c])) } };
  }

  close(): void {
    this.model.dispose();
  }
}

export function loadClassifierReward(tf: TF, dir: string, wanted: string, output: ClassifierOutput, text: 'completion' | 'prompt-and-completion', pointer = '/rewards'): ClassifierReward {
  const { model } = BagOfEmbeddingsClassifier.load(tf, dir);
  const idx = model.config.classes.indexOf(wanted);
  if (idx < 0) {
    model.dispose();
    throw new DiagnosticError({
      code: 'classifier/unknown-class',
      message: `the classifier at ${dir} has no class "${wanted}"; its classes: ${model.config.classes.map((c) => `"${c}"`).join(', ')}`,
      fix: `set "class" to one of ${model.config.classes.map((c) => `"${c}"`).join(', ')}`,
      pointer: `${pointer}/options/class`,
      plugin: 'reward/classifier',
    });
  }
  return new ClassifierReward(model, idx, output, text);
}

/** Options that every plugin reading a trained classifier shares (the reward and the scorer). */
export const classifierOptions = {
  checkpoint: { type: 'string', minLength: 1, description: 'Folder written by the `train-classifier` job, relative to the recipe.' },
  text: { type: 'string', enum: ['completion', 'prompt-and-completion'], default: 'completion', description: 'Which text is classified: the completion alone, or the prompt followed by the completion.' },
} as const;

export const classifierReward = definePlugin({
  kind: 'reward',
  name: 'classifier',
  description: 'Reward from a text classifier trained by `train-classifier`: the log-probability, logit margin or probability of the wanted class.',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['checkpoint'],
    properties: {
      checkpoint: classifierOptions.checkpoint,
      class: { type: 'string', minLength: 1, default: 'positive', description: 'The wanted class, by name (e.g. "positive" for the sentiment classifier, "0" for not-toxic on 0/1 toxicity labels).' },
      output: {
        type: 'string',
        enum: ['logprob', 'logit', 'prob'],
        default: 'logit',
        description: '"logit": log p(wanted) − log p(other), unbounded, 0 at even odds (the TRL sentiment recipe uses this); "logprob": log p(wanted) ≤ 0; "prob": p(wanted) in [0, 1].',
      },
      text: classifierOptions.text,
    },
  } as const,
  create: ({ options, resolvePath, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    return loadClassifierReward(tf, resolvePath(options.checkpoint), options.class, options.output, options.text, pointer);
  },
});
