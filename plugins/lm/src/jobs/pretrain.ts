import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { definePlugin, DiagnosticError, Rng, Tokens, type Job, type JobContext, type JobResult, type Logger, type Metrics, type OptionsOf, type ResolvedRecipe, type TF } from '@rlhfjs/core';
import { corpusSpecSchema } from '../corpus/spec';
import { loadCorpus } from '../corpus/load';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { encodeSafetensors, readSafetensors } from '../checkpoint/safetensors';
import { validateConfig, parameterCount, type GPTConfig } from '../model/config';
import { GPTModel } from '../model/gpt';
import { initWeights } from '../model/init';
import { loadPolicy, saveModel } from '../model/checkpoint-io';
import { Adam, clipByGlobalNorm } from './adam';
import { packSentences, type PackedRows } from './packing';
import { warmupCosine } from './schedule';

const OPTIMIZER_FILE = 'optimizer.safetensors';
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
        contextSize: { type: 'integer', minimum: 8, default: 64, description: 'Context window in tokens (prompt + completion) and the length of a training row.' },
        dModel: { type: 'integer', minimum: 8, default: 128, description: 'Width of the residual stream.' },
        nLayers: { type: 'integer', minimum: 1, default: 4, description: 'Number of transformer blocks.' },
        nHeads: { type: 'integer', minimum: 1, default: 4, description: 'Attention heads per block (must divide dModel).' },
        dMlp: { type: 'integer', minimum: 8, default: 512, description: 'Hidden width of each block\'s MLP (GPT-2 uses 4·dModel).' },
        tieEmbeddings: { type: 'boolean', default: true, description: 'Share the token-embedding matrix with the output projection (fewer parameters, smaller checkpoint).' },
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

interface TrainingState {
  step: number;
  trainRows: number;
  elapsedMs: number;
  tokensSeen: number;
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

/** Held-out mean NLL per token (nats) over all held-out rows, in chunks. */
function heldOutLoss(tf: TF, model: GPTModel, rows: PackedRows, chunk: number): number {
  let nll = 0;
  let count = 0;
  for (let s = 0; s < rows.rows; s += chunk) {
    const order = Array.from({ length: Math.min(chunk, rows.rows - s) }, (_, i) => s + i);
    let n = 0;
    order.forEach((r) => {
      for (let t = 1; t < rows.length; t++) n += rows.mask[r * rows.length + t];
    });
    const l = tf.tidy(() => rowsLoss(tf, model, rows, order)).dataSync()[0];
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

/** Pretrain a GPT policy: tokenizer, then next-token prediction on a corpus mix. */
export class PretrainJob implements Job {
  constructor(
    private readonly o: PretrainOptions,
    private readonly resolvePath: (p: string) => string,
    private readonly pointer: string,
  ) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const c = ctx.container;
    const { tf } = c.resolve(Tokens.Runtime);
    const rng = c.resolve(Tokens.Rng);
    const recipe: ResolvedRecipe | undefined = c.isRegistered(Tokens.Recipe, true) ? c.resolve(Tokens.Recipe) : undefined;
    const runDir = c.isRegistered(Tokens.RunDir, true) ? c.resolve(Tokens.RunDir) : undefined;
    const loggers: Logger[] = c.isRegistered(Tokens.Loggers, true) ? c.resolve(Tokens.Loggers) : [];
    const o = this.o;
    const totalSteps = recipe?.runtime.steps ?? 1000;
    const checkpointEvery = recipe?.runtime.checkpointEvery ?? 0;
    const keep = recipe?.runtime.keepCheckpoints ?? 2;
    const output = this.resolvePath(o.output);
    const say = (msg: string) => {
      for (const l of loggers) void l.event?.('pretrain', { message: msg });
    };

    const corpus = loadCorpus(o.corpus as never, { resolvePath: this.resolvePath, pointer: `${this.pointer}/options/corpus`, plugin: 'job/pretrain' });
    if (corpus.train.length === 0) {
      throw new DiagnosticError({ code: 'pretrain/empty-corpus', message: 'the corpus spec gives no training sentences', pointer: `${this.pointer}/options/corpus`, plugin: 'job/pretrain', fix: 'Give at least one source with weight > 0.' });
    }

    // resume: model, tokenizer, optimizer and data position come from the last checkpoint
    const latest = ctx.resume ? runDir?.latestCheckpoint() : undefined;
    let model: GPTModel;
    let state: TrainingState = { step: 0, trainRows: 0, elapsedMs: 0, tokensSeen: 0 };
    if (latest) {
      model = loadPolicy(latest.dir, tf);
      state = JSON.parse(fs.readFileSync(path.join(latest.dir, STATE_FILE), 'utf8')) as TrainingState;
    } else {
      const tokRng = rng.fork('tokenizer');
      const distinct = [...new Set(corpus.train)];
      const sample = distinct.length > o.tokenizer.maxSentences ? tokRng.shuffle(distinct).slice(0, o.tokenizer.maxSentences) : distinct;
      const t0 = Date.now();
      const tokenizer = ByteBPETokenizer.train(sample, { vocabSize: o.tokenizer.vocabSize, minFrequency: o.tokenizer.minFrequency });
      say(`tokenizer: ${tokenizer.vocabSize} tokens from ${sample.length} sentences in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const config: GPTConfig = validateConfig({ ...o.model, vocabSize: tokenizer.vocabSize, valueHead: false, dropout: 0 }, { pointer: `${this.pointer}/options/model`, plugin: 'job/pretrain' });
      model = new GPTModel(tf, config, tokenizer, initWeights(config, rng.fork('init')));
    }
    const tok = model.tokenizer;
    const T = model.contextSize;
    const encodeAll = (texts: string[]) => texts.map((s) => tok.encode(s));
    const train = packSentences(encodeAll(corpus.train), T, tok.eosId, tok.padId);
    const heldAll = packSentences(encodeAll(corpus.heldOut), T, tok.eosId, tok.padId);
    const held = subsetRows(heldAll, o.evalRows);
    say(`corpus: ${corpus.train.length} training sentences → ${train.rows} rows (${train.targets} target tokens); held-out ${held.rows} rows (${held.targets} tokens); ${model.parameterCount()} parameters`);

    const named = model.namedWeights() as Map<string, tfc.Variable>;
    const adam = new Adam(tf, named, { beta1: o.beta1, beta2: o.beta2, epsilon: 1e-8, weightDecay: o.weightDecay });
    if (latest) {
      adam.setState(state.step, readSafetensors(path.join(latest.dir, OPTIMIZER_FILE)).tensors as never);
      runDir?.truncateMetrics(state.step);
    }
    const byVarName = new Map<string, string>();
    named.forEach((v, k) => byVarName.set(v.name, k));
    const vars = [...named.values()];

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

    const saveState = async (dir: string) => {
      const opt = await adam.state();
      const tensors = new Map([...opt.tensors].map(([k, v]) => [k, { dtype: 'F32' as const, shape: v.shape, data: v.data }]));
      await saveModel(model, dir, {
        config: { pretrain: { step: state.step, heldOutLoss: lastEval?.loss ?? null } },
        extraFiles: { [OPTIMIZER_FILE]: encodeSafetensors(tensors), [STATE_FILE]: JSON.stringify(state, null, 2) + '\n' },
      });
    };

    for (const l of loggers) await l.start?.({ runDir: ctx.runDir, totalSteps, startStep: state.step });
    const budgetMs = o.maxMinutes > 0 ? o.maxMinutes * 60_000 : Infinity;
    let lastEval: { loss: number; ppl: number } | undefined;
    const evaluate = async (step: number) => {
      const t0 = Date.now();
      const loss = heldOutLoss(tf, model, held, o.batchSize);
      lastEval = { loss, ppl: Math.exp(loss) };
      const m: Metrics = { 'heldout/loss': loss, 'heldout/perplexity': Math.exp(loss), 'heldout/seconds': (Date.now() - t0) / 1000 };
      runDir?.appendMetrics(step, m);
      for (const l of loggers) await l.log(step, m);
    };

    let windowStart = Date.now();
    let windowTokens = 0;
    let lossSum = 0;
    let lossN = 0;
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
        const { value, grads } = tf.variableGrads(() => rowsLoss(tf, model, train, order), vars);
        const byName = new Map<string, tfc.Tensor>();
        for (const [vn, g] of Object.entries(grads)) byName.set(byVarName.get(vn)!, g);
        const gradNorm = clipByGlobalNorm(tf, byName, o.gradClip);
        adam.apply(byName, lr);
        const loss = value.dataSync()[0];
        tf.dispose([value, ...byName.values()]);
        if (!Number.isFinite(loss)) {
          throw new DiagnosticError({ code: 'pretrain/diverged', message: `training loss became ${loss} at step ${state.step}`, pointer: `${this.pointer}/options/learningRate`, plugin: 'job/pretrain', fix: 'Lower learningRate or gradClip, or raise warmupSteps.' }, { exitCode: 1 });
        }
        let tokens = 0;
        for (const r of order) for (let t = 1; t < T; t++) tokens += train.mask[r * T + t];
        state.step += 1;
        state.trainRows += o.batchSize;
        state.tokensSeen += tokens;
        state.elapsedMs = Date.now() - runStart;
        windowTokens += tokens;
        lossSum += loss;
        lossN += 1;
        if (state.step % o.logEvery === 0 || state.step === totalSteps) {
          const secs = (Date.now() - windowStart) / 1000;
          const m: Metrics = {
            'train/loss': lossSum / lossN,
            'train/lr': lr,
            'train/grad_norm': gradNorm,
            'train/tokens_per_s': windowTokens / Math.max(secs, 1e-9),
            'train/ms_per_step': (secs * 1000) / lossN,
            'train/epoch': state.trainRows / train.rows,
            'train/elapsed_min': state.elapsedMs / 60_000,
          };
          runDir?.appendMetrics(state.step, m);
          for (const l of loggers) await l.log(state.step, m);
          windowStart = Date.now();
          windowTokens = 0;
          lossSum = 0;
          lossN = 0;
        }
        if (state.step % o.evalEvery === 0) await evaluate(state.step);
        if (runDir && checkpointEvery > 0 && state.step % checkpointEvery === 0) {
          const dir = await runDir.writeCheckpoint(state.step, saveState, keep);
          for (const l of loggers) await l.event?.('checkpoint', { step: state.step, dir });
        }
      }
      if (!lastEval || state.step % o.evalEvery !== 0) await evaluate(state.step);
      // always end with a checkpoint (also when stopped by time or a signal), so --resume can continue
      if (runDir) await runDir.writeCheckpoint(state.step, saveState, keep);
      await saveModel(model, output, { config: { pretrain: { step: state.step, heldOutLoss: lastEval?.loss ?? null, heldOutPerplexity: lastEval?.ppl ?? null, tokensSeen: state.tokensSeen } } });
      for (const l of loggers) await l.event?.('saved', { dir: output });
    } finally {
      for (const l of loggers) await l.close?.();
      adam.dispose();
    }
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
