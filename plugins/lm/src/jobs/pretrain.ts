import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { AdamW, atomicWriteFileSync, CheckpointedJob, definePlugin, DiagnosticError, OPTIMIZER_STATE_FILE, Rng, Tokens, type JobContext, type JobResult, type OptionsOf, type ResolvedRecipe, type TF } from '@rlhfjs/core';
import { corpusSpecSchema } from '../corpus/spec';
import { gptArchitectureProperties } from '../model/architecture.options';
import { loadCorpus } from '../corpus/load';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { validateConfig, parameterCount, type GPTConfig } from '../model/config';
import { GPTModel } from '../model/gpt';
import { initWeights } from '../model/init';
import { loadPolicy, saveModel } from '../model/checkpoint-io';
import { packSentences, type PackedRows } from './packing';
import { warmupCosine } from './schedule';

const STATE_FILE = 'training_state.json';

export const pretrainOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['corpus', 'output'],
  properties: {
    corpus: corpusSpecSchema,
    output: { type: 'string', description: 'Folder for the final checkpoint (config.json, tokenizer.json, model.safetensors), relative to the recipe. Replaced atomically.' },
    tokenizer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The byte-level BPE tokenizer trained on the training sentences before the model.',
      properties: {
        vocabSize: { type: 'integer', minimum: 258, maximum: 65536, default: 4096, description: 'Vocabulary size: 1 special token (<|endoftext|>) + 256 bytes + merges. Larger gives whole-word tokens; the embedding grows with it.' },
        minFrequency: { type: 'integer', minimum: 1, default: 2, description: 'A pair is merged only if it occurs at least this many times.' },
        maxSentences: { type: 'integer', minimum: 1, default: 200000, description: 'Train the tokenizer on at most this many (distinct, seeded-sampled) training sentences.' },
      },
    },
    model: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Architecture of the GPT decoder.',
      properties: {
        ...gptArchitectureProperties,
        nLayers: { ...gptArchitectureProperties.nLayers, default: 4 },
      },
    },
    batchSize: { type: 'integer', minimum: 1, default: 16, description: 'Training rows per optimisation step; each row holds up to contextSize tokens.' },
    learningRate: { type: 'number', exclusiveMinimum: 0, default: 0.001, description: 'Peak learning rate of Adam, reached at the end of warmup.' },
    minLearningRate: { type: 'number', minimum: 0, default: 0.0001, description: 'Learning rate at the end of the cosine decay (at runtime.steps).' },
    warmupSteps: { type: 'integer', minimum: 0, default: 100, description: 'Steps of linear warmup from 0 to learningRate.' },
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Adam β₁ (decay of the first moment).' },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.95, description: 'Adam β₂ (decay of the second moment).' },
    weightDecay: { type: 'number', minimum: 0, default: 0.01, description: 'Decoupled (AdamW) weight decay on weight matrices; 0 for plain Adam.' },
    gradClip: { type: 'number', minimum: 0, default: 1, description: 'Clip the global L2 norm of the gradient to this value (0 = off).' },
    logEvery: { type: 'integer', minimum: 1, default: 10, description: 'Write training metrics (loss, learning rate, gradient norm, tokens/s) every N steps.' },
    evalEvery: { type: 'integer', minimum: 1, default: 100, description: 'Compute held-out loss and perplexity every N steps (and at the end).' },
    evalRows: { type: 'integer', minimum: 1, default: 128, description: 'Held-out rows (of contextSize tokens) used for the held-out loss.' },
    maxMinutes: { type: 'number', minimum: 0, default: 0, description: 'Stop after this many minutes of training even if runtime.steps is not reached, then evaluate and save (0 = no limit). The cosine decay follows whichever of steps or time is further along, so it completes either way.' },
  },
} as const;

export type PretrainOptions = OptionsOf<typeof pretrainOptionsSchema>;

/** What a checkpoint holds besides the model and the optimiser (training_state.json). */
interface TrainingState {
  /** Optimiser steps taken. */
  step: number;
  /** Training rows consumed: the position in the seeded per-epoch row order. */
  trainRows: number;
  elapsedMs: number;
  tokensSeen: number;
  /** The open logging window (steps since the last `train/*` line and their summed loss). */
  lossSum: number;
  lossN: number;
  /** The last held-out evaluation and the step count it was taken at. */
  lastEval: { step: number; loss: number; ppl: number } | null;
}

/** Mean negative log-likelihood of the real next tokens of packed rows [start, start+n). */
function rowsLoss(tf: TF, model: GPTModel, rows: PackedRows, order: readonly number[]): tfc.Scalar {
  const B = order.length;
  const T = rows.length;
  const ids = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  order.forEach((r, b) => {
    ids.set(rows.ids.subarray(r * T, r * T + T), b * T);
    mask.set(rows.mask.subarray(r * T, r * T + T), b * T);
  });
  const idsT = tf.tensor2d(ids, [B, T], 'int32');
  const maskT = tf.tensor2d(mask, [B, T], 'float32');
  const out = model.forward({ ids: idsT, attentionMask: maskT });
  const target = tf.slice(maskT, [0, 1], [B, T - 1]);
  return tf.div(tf.neg(tf.sum(tf.mul(out.logprobs, target))), tf.maximum(tf.sum(target), 1)) as tfc.Scalar;
}

/** Held-out mean NLL per token (nats) over all held-out rows, in chunks (read asynchronously, as a GPU backend needs). */
async function heldOutLoss(tf: TF, model: GPTModel, rows: PackedRows, chunk: number): Promise<number> {
  let nll = 0;
  let count = 0;
  for (let s = 0; s < rows.rows; s += chunk) {
    const order = Array.from({ length: Math.min(chunk, rows.rows - s) }, (_, i) => s + i);
    let n = 0;
    order.forEach((r) => {
      for (let t = 1; t < rows.length; t++) n += rows.mask[r * rows.length + t];
    });
    const lt = tf.tidy(() => rowsLoss(tf, model, rows, order));
    const l = (await lt.data())[0];
    lt.dispose();
    nll += l * n;
    count += n;
  }
  return nll / Math.max(1, count);
}

function subsetRows(rows: PackedRows, n: number): PackedRows {
  const k = Math.min(n, rows.rows);
  const ids = rows.ids.slice(0, k * rows.length);
  const mask = rows.mask.slice(0, k * rows.length);
  let targets = 0;
  for (let r = 0; r < k; r++) for (let t = 1; t < rows.length; t++) targets += mask[r * rows.length + t];
  return { ids, mask, rows: k, length: rows.length, targets };
}

/**
 * Pretrain a GPT policy: tokenizer, then next-token prediction on a corpus mix. Step s (0-based)
 * is logged at s; the checkpoint after s + 1 steps holds the model, the tokenizer, the optimiser
 * state, the data position and the open logging window, so a resumed run logs what an
 * uninterrupted one logs.
 */
export class PretrainJob extends CheckpointedJob<PretrainOptions, { model: GPTModel; adam: AdamW; state: TrainingState }> {
  protected readonly name = 'pretrain';
  protected readonly checkpointFiles = [STATE_FILE, OPTIMIZER_STATE_FILE];

  constructor(
    o: PretrainOptions,
    resolvePath: (p: string) => string,
    private readonly pointer: string,
  ) {
    super(o, resolvePath);
  }

  protected async save(live: { model: GPTModel; adam: AdamW; state: TrainingState }, dir: string): Promise<void> {
    await saveModel(live.model, dir, { config: { pretrain: { step: live.state.step, heldOutLoss: live.state.lastEval?.loss ?? null } } });
    await live.adam.save(dir);
    atomicWriteFileSync(path.join(dir, STATE_FILE), JSON.stringify(live.state, null, 2) + '\n');
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const c = ctx.container;
    const { tf } = c.resolve(Tokens.Runtime);
    const rng = c.resolve(Tokens.Rng);
    const recipe: ResolvedRecipe | undefined = c.isRegistered(Tokens.Recipe, true) ? c.resolve(Tokens.Recipe) : undefined;
    const metrics = ctx.metrics;
    const o = this.o;
    const totalSteps = recipe?.runtime.steps ?? 1000;
    const checkpointEvery = recipe?.runtime.checkpointEvery ?? 0;
    const output = this.resolvePath(o.output);
    const say = (msg: string) => metrics.event('pretrain', { message: msg });

    const corpus = loadCorpus(o.corpus as never, { resolvePath: this.resolvePath, pointer: `${this.pointer}/options/corpus`, plugin: 'job/pretrain' });
    if (corpus.train.length === 0) {
      throw new DiagnosticError({ code: 'pretrain/empty-corpus', message: 'the corpus spec gives no training sentences', pointer: `${this.pointer}/options/corpus`, plugin: 'job/pretrain', fix: 'Give at least one source with weight > 0.' });
    }

    // resume: model, tokenizer, optimiser and data position come from the checkpoint the runner chose
    const from = this.restoreFrom;
    let model: GPTModel;
    let state: TrainingState = { step: 0, trainRows: 0, elapsedMs: 0, tokensSeen: 0, lossSum: 0, lossN: 0, lastEval: null };
    if (from) {
      model = loadPolicy(from, tf);
      state = { ...state, ...(JSON.parse(fs.readFileSync(path.join(from, STATE_FILE), 'utf8')) as Partial<TrainingState>) };
    } else {
      const tokRng = rng.fork('tokenizer');
      const distinct = [...new Set(corpus.train)];
      const sample = distinct.length > o.tokenizer.maxSentences ? tokRng.shuffle(distinct).slice(0, o.tokenizer.maxSentences) : distinct;
      const t0 = Date.now();
      const tokenizer = ByteBPETokenizer.train(sample, { vocabSize: o.tokenizer.vocabSize, minFrequency: o.tokenizer.minFrequency });
      await say(`tokenizer: ${tokenizer.vocabSize} tokens from ${sample.length} sentences in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const config: GPTConfig = validateConfig({ ...o.model, vocabSize: tokenizer.vocabSize, valueHead: false, dropout: 0 }, { pointer: `${this.pointer}/options/model`, plugin: 'job/pretrain' });
      model = new GPTModel(tf, config, tokenizer, initWeights(config, rng.fork('init')));
    }
    const tok = model.tokenizer;
    const T = model.contextSize;
    const encodeAll = (texts: string[]) => texts.map((s) => tok.encode(s));
    const train = packSentences(encodeAll(corpus.train), T, tok.eosId, tok.padId);
    const heldAll = packSentences(encodeAll(corpus.heldOut), T, tok.eosId, tok.padId);
    const held = subsetRows(heldAll, o.evalRows);
    await say(`corpus: ${corpus.train.length} training sentences → ${train.rows} rows (${train.targets} target tokens); held-out ${held.rows} rows (${held.targets} tokens); ${model.parameterCount()} parameters`);

    const named = model.namedWeights() as Map<string, tfc.Variable>;
    const adam = new AdamW(tf, [...named.values()], {
      learningRate: o.learningRate,
      beta1: o.beta1,
      beta2: o.beta2,
      epsilon: 1e-8,
      weightDecay: o.weightDecay,
      maxGradNorm: o.gradClip,
      owner: { plugin: 'job/pretrain', pointer: `${this.pointer}/options/learningRate` },
      names: [...named.keys()],
    });
    if (from) await adam.load(from);
    this.live = { model, adam, state };

    // a seeded permutation of training rows per epoch; position = rows consumed so far
    const dataSeed = rng.fork('data').nextUint32();
    let epoch = -1;
    let perm: number[] = [];
    const rowAt = (k: number) => {
      const e = Math.floor(k / train.rows);
      if (e !== epoch) {
        epoch = e;
        perm = new Rng((dataSeed ^ Math.imul(e + 1, 0x9e3779b1)) >>> 0).shuffle(Array.from({ length: train.rows }, (_, i) => i));
      }
      return perm[k % train.rows];
    };

    const budgetMs = o.maxMinutes > 0 ? o.maxMinutes * 60_000 : Infinity;
    // held-out loss after `state.step` steps, logged at the step just taken
    const evaluate = async () => {
      const t0 = Date.now();
      const loss = await heldOutLoss(tf, model, held, o.batchSize);
      state.lastEval = { step: state.step, loss, ppl: Math.exp(loss) };
      await metrics.log(Math.max(0, state.step - 1), { 'heldout/loss': loss, 'heldout/perplexity': Math.exp(loss), 'heldout/seconds': (Date.now() - t0) / 1000 });
    };

    let windowStart = Date.now();
    let windowTokens = 0;
    let stopReason = 'steps';
    const runStart = Date.now() - state.elapsedMs;
    try {
      while (state.step < totalSteps) {
        if (ctx.signal?.aborted) {
          stopReason = 'aborted';
          break;
        }
        if (Date.now() - runStart > budgetMs) {
          stopReason = 'time';
          break;
        }
        const order = Array.from({ length: o.batchSize }, (_, i) => rowAt(state.trainRows + i));
        const timeShare = Number.isFinite(budgetMs) ? (Date.now() - runStart) / budgetMs : 0;
        const lr = warmupCosine(state.step, { peak: o.learningRate, min: o.minLearningRate, warmup: o.warmupSteps, total: totalSteps }, timeShare);
        const { values } = await adam.stepAsync(() => rowsLoss(tf, model, train, order), { step: state.step, learningRate: lr });
        let tokens = 0;
        for (const r of order) for (let t = 1; t < T; t++) tokens += train.mask[r * T + t];
        state.step += 1;
        state.trainRows += o.batchSize;
        state.tokensSeen += tokens;
        state.elapsedMs = Date.now() - runStart;
        windowTokens += tokens;
        state.lossSum += values['loss/total'];
        state.lossN += 1;
        if (state.step % o.logEvery === 0 || state.step === totalSteps) {
          const secs = (Date.now() - windowStart) / 1000;
          await metrics.log(state.step - 1, {
            'train/loss': state.lossSum / state.lossN,
            'train/lr': lr,
            'train/grad_norm': values['grad_norm'],
            'train/tokens_per_s': windowTokens / Math.max(secs, 1e-9),
            'train/ms_per_step': (secs * 1000) / state.lossN,
            'train/epoch': state.trainRows / train.rows,
            'train/elapsed_min': state.elapsedMs / 60_000,
          });
          windowStart = Date.now();
          windowTokens = 0;
          state.lossSum = 0;
          state.lossN = 0;
        }
        if (state.step % o.evalEvery === 0) await evaluate();
        if (checkpointEvery > 0 && state.step % checkpointEvery === 0 && state.step < totalSteps) await ctx.checkpoint(state.step);
      }
      if (state.lastEval?.step !== state.step) await evaluate();
      // always end with a checkpoint (also when stopped by time or a signal), so --resume can continue
      await ctx.checkpoint(state.step);
      await saveModel(model, output, { config: { pretrain: { step: state.step, heldOutLoss: state.lastEval?.loss ?? null, heldOutPerplexity: state.lastEval?.ppl ?? null, tokensSeen: state.tokensSeen } } });
      await metrics.event('saved', { dir: output });
    } finally {
      this.live = undefined;
      adam.dispose();
    }
    const lastEval = state.lastEval;
    const summary = {
      steps: state.step,
      stopReason,
      output,
      heldOutLoss: lastEval?.loss ?? null,
      heldOutPerplexity: lastEval?.ppl ?? null,
      tokensSeen: state.tokensSeen,
      minutes: state.elapsedMs / 60_000,
      parameters: parameterCount(model.config),
      vocabSize: tok.vocabSize,
      trainRows: train.rows,
      heldOutRows: held.rows,
    };
    model.dispose();
    return { summary };
  }
}

export const pretrainPlugin = definePlugin({
  kind: 'job',
  name: 'pretrain',
  description: 'Train a byte-level BPE tokenizer and a GPT policy from scratch on a corpus mix (next-token prediction), and save it as a checkpoint.',
  options: pretrainOptionsSchema,
  create(ctx) {
    return new PretrainJob(ctx.options, ctx.resolvePath, ctx.pointer);
  },
});
