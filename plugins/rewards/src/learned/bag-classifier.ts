import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { DiagnosticError, atomicWriteDir, type Rng, type TF } from '@rlhfjs/core';
import { words } from '../lexicon/cuss';
import { accuracy, auc } from './metrics';
import type { TextExample } from './data';

export const CLASSIFIER_FORMAT = 'rlhfjs-bag-of-embeddings';
export const CLASSIFIER_FILE = 'classifier.json';

export interface BagConfig {
  classes: string[];
  vocab: string[];
  dModel: number;
  /** Include word pairs ("not good") as features. */
  bigrams: boolean;
}

/** Unigrams and (optionally) bigrams of a text, lowercased. */
export function features(text: string, bigrams: boolean): string[] {
  const ws = words(text).map((w) => w.word);
  const out = [...ws];
  if (bigrams) for (let i = 0; i + 1 < ws.length; i++) out.push(`${ws[i]} ${ws[i + 1]}`);
  return out;
}

/** The `maxVocab` most frequent features seen at least `minCount` times (ties alphabetical). */
export function buildVocab(texts: readonly string[], opts: { maxVocab: number; minCount: number; bigrams: boolean }): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const f of features(t, opts.bigrams)) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([, c]) => c >= opts.minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, opts.maxVocab)
    .map(([f]) => f);
}

/**
 * A bag-of-embeddings text classifier (fastText-style): the mean of the embeddings of a text's
 * words and word pairs, then a linear layer to class logits. The mean is a product of a normalised
 * count matrix with the embedding table, so training needs no gather gradient (which the wasm
 * backend lacks).
 */
export class BagOfEmbeddingsClassifier {
  private readonly index: Map<string, number>;
  readonly emb: tfc.Variable;
  readonly w: tfc.Variable;
  readonly b: tfc.Variable;

  constructor(
    readonly tf: TF,
    readonly config: BagConfig,
    weights?: { emb: Float32Array; w: Float32Array; b: Float32Array },
    rng?: Rng,
  ) {
    const V = config.vocab.length;
    const d = config.dModel;
    const C = config.classes.length;
    this.index = new Map(config.vocab.map((f, i) => [f, i]));
    const init = (n: number, scale: number) => {
      const a = new Float32Array(n);
      if (!rng) throw new Error('BagOfEmbeddingsClassifier: a new model needs an rng');
      for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
      return a;
    };
    this.emb = tf.variable(tf.tensor2d(weights?.emb ?? init(V * d, 0.1), [V, d]), true, undefined);
    this.w = tf.variable(tf.tensor2d(weights?.w ?? init(d * C, 1 / Math.sqrt(d)), [d, C]), true, undefined);
    this.b = tf.variable(tf.tensor1d(weights?.b ?? new Float32Array(C)), true, undefined);
  }

  get variables(): tfc.Variable[] {
    return [this.emb, this.w, this.b];
  }

  /** Normalised feature counts [B, V]: each row sums to 1 (or is all zero when no feature is known). */
  encode(texts: readonly string[]): tfc.Tensor2D {
    const V = this.config.vocab.length;
    const x = new Float32Array(texts.length * V);
    texts.forEach((t, r) => {
      const ids = features(t, this.config.bigrams)
        .map((f) => this.index.get(f))
        .filter((i): i is number => i !== undefined);
      for (const i of ids) x[r * V + i] += 1 / ids.length;
    });
    return this.tf.tensor2d(x, [texts.length, V]);
  }

  /** Class logits [B, C]. */
  logits(x: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf;
    return tf.add(tf.matMul(tf.matMul(x, this.emb), this.w), this.b) as tfc.Tensor2D;
  }

  /** log p(class | text) for each text, [B][C]. */
  async logProbs(texts: readonly string[], batchSize = 256): Promise<number[][]> {
    const tf = this.tf;
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const lp = tf.tidy(() => tf.logSoftmax(this.logits(this.encode(texts.slice(i, i + batchSize)))));
      out.push(...((await lp.array()) as number[][]));
      lp.dispose();
    }
    return out;
  }

  /** Mean cross-entropy of a batch (a scalar, for training). */
  loss(x: tfc.Tensor2D, labels: readonly number[], weightDecay: number): tfc.Scalar {
    const tf = this.tf;
    const C = this.config.classes.length;
    const onehot = tf.oneHot(tf.tensor1d([...labels], 'int32'), C);
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(this.logits(x))), 1)));
    return (weightDecay > 0 ? tf.add(ce, tf.mul(weightDecay, tf.sum(tf.square(this.emb)))) : ce) as tfc.Scalar;
  }

  async evaluate(rows: readonly TextExample[], positive = 1): Promise<{ accuracy: number; auc: number; loss: number; n: number }> {
    const lp = await this.logProbs(rows.map((r) => r.text));
    const labels = rows.map((r) => r.label);
    const predicted = lp.map((p) => p.indexOf(Math.max(...p)));
    const acc = predicted.filter((p, i) => p === labels[i]).length / rows.length;
    const margin = lp.map((p) => p[positive] - logSumExpExcept(p, positive));
    const loss = -lp.reduce((s, p, i) => s + p[labels[i]], 0) / rows.length;
    const isPos = labels.map((l) => (l === positive ? 1 : 0));
    // for two classes the arg-max accuracy equals thresholding the margin at 0
    if (this.config.classes.length === 2 && Math.abs(acc - accuracy(margin, isPos)) > 1e-9) throw new Error('classifier: inconsistent accuracy');
    return { accuracy: acc, auc: auc(margin, isPos), loss, n: rows.length };
  }

  async save(dir: string, extra: Record<string, unknown> = {}): Promise<void> {
    const [emb, w, b] = await Promise.all([this.emb.data(), this.w.data(), this.b.data()]);
    const body = {
      format: CLASSIFIER_FORMAT,
      version: 1,
      ...extra,
      classes: this.config.classes,
      dModel: this.config.dModel,
      bigrams: this.config.bigrams,
      vocab: this.config.vocab,
      weights: { emb: b64(emb as Float32Array), w: b64(w as Float32Array), b: b64(b as Float32Array) },
    };
    await atomicWriteDir(dir, (tmp) => fs.writeFileSync(path.join(tmp, CLASSIFIER_FILE), JSON.stringify(body) + '\n'));
  }

  static load(tf: TF, dir: string): { model: BagOfEmbeddingsClassifier; meta: Record<string, unknown> } {
    const file = path.join(dir, CLASSIFIER_FILE);
    if (!fs.existsSync(file)) {
      throw new DiagnosticError({ code: 'classifier/missing', message: `no classifier at ${dir} (${CLASSIFIER_FILE} not found)`, file: dir, fix: 'train one with the `train-classifier` job and point `checkpoint` at its output folder' });
    }
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;
    if (raw.format !== CLASSIFIER_FORMAT) {
      throw new DiagnosticError({ code: 'classifier/format', message: `${file} is not a ${CLASSIFIER_FORMAT} classifier (format ${JSON.stringify(raw.format)})`, file, pointer: '/format', fix: 'point `checkpoint` at a folder written by the `train-classifier` job' });
    }
    const config: BagConfig = { classes: raw.classes, vocab: raw.vocab, dModel: raw.dModel, bigrams: raw.bigrams };
    const weights = { emb: unb64(raw.weights.emb), w: unb64(raw.weights.w), b: unb64(raw.weights.b) };
    const V = config.vocab.length;
    const C = config.classes.length;
    if (weights.emb.length !== V * config.dModel || weights.w.length !== config.dModel * C || weights.b.length !== C) {
      throw new DiagnosticError({ code: 'classifier/shape', message: `${file}: weight sizes do not match vocab ${V}, dModel ${config.dModel}, ${C} classes`, file, fix: 'the file is damaged: train the classifier again' });
    }
    const { weights: _w, vocab: _v, ...meta } = raw;
    return { model: new BagOfEmbeddingsClassifier(tf, config, weights), meta };
  }

  dispose(): void {
    this.variables.forEach((v) => v.dispose());
  }
}

function logSumExpExcept(p: readonly number[], skip: number): number {
  const rest = p.filter((_, i) => i !== skip);
  const m = Math.max(...rest);
  return m + Math.log(rest.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** Margin of class `c`: log p_c − log Σ_{k≠c} p_k (for two classes, the logit difference). */
export function classMargin(logProbs: readonly number[], c: number): number {
  return logProbs[c] - logSumExpExcept(logProbs, c);
}

function b64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function unb64(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}
