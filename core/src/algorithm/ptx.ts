import * as fs from 'node:fs';
import type { Scalar } from '@tensorflow/tfjs-core';
import { DiagnosticError } from '../diagnostics';
import type { PolicyModel } from '../contract/agent';
import type { Rng, RngState } from '../runtime/rng';
import type { TF } from '../contract/tensor-runtime';

/**
 * The pretraining-mix options every online algorithm has (spread into each options schema).
 * InstructGPT's PPO-ptx objective adds γ·E_{x∼D_pretrain}[log π(x)] to the RL objective; as a loss
 * to minimise, each gradient step adds γ·L_ptx with
 *
 *   L_ptx = −(1/N)·Σ_{rows b} Σ_{t ≥ 1} m_{b,t}·log π(x_{b,t} | x_{b,<t}),   N = Σ m
 *
 * over a batch of corpus sentences (the mean next-token negative log-likelihood, in nats), so
 * total = L_RL + ptxCoef·L_ptx. Sentences come from a text file; `rlhf train` with the plugin-lm
 * job `corpus-text` writes one from packaged corpora (the base model's pretraining mix, with the
 * same held-out split).
 */
export const ptxProperties = {
  ptxCoef: {
    type: 'number',
    minimum: 0,
    default: 0,
    description:
      'γ of PPO-ptx (InstructGPT): each gradient step adds γ·(mean next-token NLL of a batch of corpus sentences) to the loss, which holds the policy near the pretraining distribution. 0 (the default) turns it off; InstructGPT used 27.8 with its per-sequence reward scale; 0.5–2 suits a token-mean loss. Needs `ptx.file`.',
  },
  ptx: {
    type: 'object',
    additionalProperties: false,
    required: ['file'],
    description: 'The pretraining corpus of the ptx term (used when ptxCoef > 0) and its held-out perplexity.',
    properties: {
      file: {
        type: 'string',
        description: 'Training sentences (relative to the recipe): plain text, one sentence per line, or .jsonl with one object per line. The plugin-lm job `corpus-text` writes one from the packaged corpora.',
      },
      heldOutFile: { type: 'string', description: 'Held-out sentences in the same format, for the held-out perplexity metric (leave out for none).' },
      field: { type: 'string', default: 'text', description: 'For .jsonl files: the field that holds the sentence.' },
      batchSize: { type: 'integer', minimum: 1, default: 16, description: 'Corpus sentences per gradient step (one new batch for every minibatch step of the RL update, in a seeded order that is checkpointed).' },
      evalEvery: { type: 'integer', minimum: 1, default: 10, description: 'Compute the held-out perplexity (`ptx/heldout_perplexity`) after every N-th iteration and after the first.' },
      evalSentences: { type: 'integer', minimum: 1, default: 256, description: 'Held-out sentences (the first N of heldOutFile) that the perplexity is computed on.' },
    },
  },
} as const;

export interface PtxOptions {
  file: string;
  heldOutFile?: string;
  field: string;
  batchSize: number;
  evalEvery: number;
  evalSentences: number;
}

export interface PtxState {
  /** The random state at the start of the current pass (its order is reshuffled from it on restore). */
  passRng: RngState;
  position: number;
}

/** Sentences of a text file: one per non-blank line, or the `field` of each JSONL object. */
export function readSentences(file: string, shown: string, field: string, pointer: string, plugin: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DiagnosticError({
      code: 'data/missing-file',
      message: `cannot read the ptx corpus ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      file: shown,
      pointer,
      plugin,
      fix: 'Check the path (relative to the recipe), or write the file with the plugin-lm job `corpus-text`.',
    });
  }
  const jsonl = /\.(jsonl|ndjson)$/i.test(file);
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    if (!jsonl) return void out.push(raw);
    let v: unknown;
    try {
      v = (JSON.parse(raw) as Record<string, unknown>)[field];
    } catch (e) {
      throw new DiagnosticError({ code: 'data/bad-jsonl', message: `${shown}:${i + 1}: not valid JSON (${(e as Error).message})`, file: shown, line: i + 1, pointer, plugin, fix: `Write one JSON object per line, e.g. {"${field}": "..."}.` });
    }
    if (typeof v !== 'string' || v.length === 0) {
      throw new DiagnosticError({ code: 'data/missing-field', message: `${shown}:${i + 1}: no non-empty string "${field}"`, file: shown, line: i + 1, pointer, plugin, fix: `Give every line a "${field}" string, or set ptx.field to the key that holds the sentence.` });
    }
    out.push(v);
  });
  if (out.length === 0) throw new DiagnosticError({ code: 'data/empty-file', message: `${shown} holds no sentences`, file: shown, pointer, plugin, fix: 'Add one sentence per line.' });
  return out;
}

/**
 * The ptx term of one run: the corpus tokenised by the policy (each sentence as
 * `policy.encodePrompt(sentence, contextSize)`: BOS, then its tokens, cut to the window), a seeded
 * order of passes over it, the loss of the next batch and the held-out perplexity.
 */
export class PtxTerm {
  private readonly train: number[][];
  private readonly heldOut: number[][];
  private order: number[] = [];
  private passRng: RngState;
  private position = 0;

  constructor(
    private readonly tf: TF,
    private readonly policy: PolicyModel,
    private readonly rng: Rng,
    readonly coef: number,
    readonly o: PtxOptions,
    sentences: { train: readonly string[]; heldOut: readonly string[] },
  ) {
    const encode = (texts: readonly string[]) => texts.map((t) => policy.encodePrompt(t, policy.contextSize).ids).filter((ids) => ids.length >= 2);
    this.train = encode(sentences.train);
    this.heldOut = encode(sentences.heldOut.slice(0, o.evalSentences));
    if (this.train.length === 0) throw new Error('ptx: the corpus has no sentence of two tokens or more');
    this.passRng = rng.getState();
    this.newPass();
  }

  private newPass(): void {
    this.passRng = this.rng.getState();
    this.order = this.rng.shuffle(Array.from({ length: this.train.length }, (_, i) => i));
    this.position = 0;
  }

  /** The next `batchSize` sentences of the seeded order (a new pass reshuffles). */
  nextBatch(): number[][] {
    const out: number[][] = [];
    while (out.length < this.o.batchSize) {
      if (this.position >= this.order.length) this.newPass();
      out.push(this.train[this.order[this.position++]]);
    }
    return out;
  }

  /** L_ptx of `rows` (formula at {@link ptxProperties}), differentiable through the policy. */
  loss(rows: readonly number[][]): Scalar {
    const tf = this.tf;
    return tf.tidy(() => {
      const { ids, mask } = this.pack(rows);
      const out = this.policy.forward({ ids, attentionMask: mask });
      const T = ids.shape[1];
      const target = tf.slice(mask, [0, 1], [rows.length, T - 1]);
      return tf.div(tf.neg(tf.sum(tf.mul(out.logprobs, target))), tf.maximum(tf.sum(target), 1)) as Scalar;
    });
  }

  /** exp(mean NLL per token) over the held-out sentences, without gradients; null without a held-out file. */
  heldOutPerplexity(chunk = 32): { nll: number; perplexity: number } | null {
    if (this.heldOut.length === 0) return null;
    let nll = 0;
    let count = 0;
    for (let s = 0; s < this.heldOut.length; s += chunk) {
      const rows = this.heldOut.slice(s, s + chunk);
      const n = rows.reduce((a, r) => a + r.length - 1, 0);
      const l = this.loss(rows);
      nll += l.dataSync()[0] * n;
      l.dispose();
      count += n;
    }
    const mean = nll / Math.max(1, count);
    return { nll: mean, perplexity: Math.exp(mean) };
  }

  /** Rows right-padded with the pad id to the longest: ids int32 [B, T], attention mask float32 [B, T]. */
  private pack(rows: readonly number[][]) {
    const tf = this.tf;
    const T = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(rows.length * T).fill(this.policy.tokenizer.padId);
    const mask = new Float32Array(rows.length * T);
    rows.forEach((r, b) => {
      ids.set(r, b * T);
      mask.fill(1, b * T, b * T + r.length);
    });
    return { ids: tf.tensor2d(ids, [rows.length, T], 'int32'), mask: tf.tensor2d(mask, [rows.length, T], 'float32') };
  }

  getState(): PtxState {
    return { passRng: this.passRng, position: this.position };
  }

  setState(state: PtxState): void {
    this.rng.setState(state.passRng);
    this.newPass();
    this.position = state.position;
  }
}

/** Adds ptxCoef·L_ptx of the next batch to a minibatch's loss and reports L_ptx as `loss/ptx`. */
export function withPtx(tf: TF, ptx: PtxTerm, total: Scalar, report: Record<string, Scalar>): { total: Scalar; report: Record<string, Scalar> } {
  const l = ptx.loss(ptx.nextBatch());
  report['loss/ptx'] = l;
  return { total: tf.add(total, tf.mul(ptx.coef, l)) as Scalar, report };
}

/** The held-out metrics of the iteration `iteration` (0-based): after the first and after every evalEvery-th. */
export function ptxMetrics(ptx: PtxTerm, iteration: number): Record<string, number> {
  if (iteration !== 0 && (iteration + 1) % ptx.o.evalEvery !== 0) return {};
  const h = ptx.heldOutPerplexity();
  return h ? { 'ptx/heldout_nll': h.nll, 'ptx/heldout_perplexity': h.perplexity } : {};
}

/**
 * The ptx term an algorithm's options ask for, or undefined when ptxCoef is 0. The corpus files are
 * read now (so a missing file fails before training); the order of batches draws from `rng`.
 */
export function createPtxTerm(
  tf: TF,
  policy: PolicyModel,
  rng: Rng,
  options: { ptxCoef?: number; ptx?: PtxOptions },
  ctx: { resolvePath(p: string): string; pointer: string; plugin: string },
): PtxTerm | undefined {
  const coef = options.ptxCoef ?? 0;
  if (!(coef > 0)) return undefined;
  const o = options.ptx;
  if (!o) {
    throw new DiagnosticError({
      code: 'recipe/invalid-option',
      message: `ptxCoef is ${options.ptxCoef}, but no ptx corpus is named`,
      plugin: ctx.plugin,
      pointer: `${ctx.pointer}/options/ptx`,
      fix: 'add ptx: { file: <sentences.jsonl>, heldOutFile: <held-out.jsonl> } (the plugin-lm job `corpus-text` writes both), or set ptxCoef to 0',
    });
  }
  const read = (p: string, key: string) => readSentences(ctx.resolvePath(p), p, o.field, `${ctx.pointer}/options/ptx/${key}`, ctx.plugin);
  return new PtxTerm(tf, policy, rng, coef, o, { train: read(o.file, 'file'), heldOut: o.heldOutFile ? read(o.heldOutFile, 'heldOutFile') : [] });
}
