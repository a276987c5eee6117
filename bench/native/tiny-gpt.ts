/**
 * A small GPT in plain tfjs-core: the model the native-kernel benchmark times and the loss-curve
 * test trains. Pre-norm blocks, causal multi-head attention, tanh GELU, one-hot embedding (tf.gather
 * has no gradient on wasm), separate output head, Adam.
 */
import type * as tfc from '@tensorflow/tfjs-core';

type TF = typeof tfc;
type Tensor = tfc.Tensor;

export interface TinyGptConfig {
  vocab: number;
  dModel: number;
  layers: number;
  heads: number;
  /** tokens per row */
  seq: number;
  /** rows per training step */
  batch: number;
  lr: number;
  seed: number;
  /**
   * Matmul gradients with explicit tf.transpose instead of the transpose flags: the fast choice for
   * stock wasm, whose flagged matmuls are slow. Native BatchMatMul applies the flags in BLAS.
   */
  explicitTransposeGrad: boolean;
}

/** The benchmarks' reference model (vocab 512, d_model 128, 2 layers, 4 heads, sequence 64, batch 16). */
export const BENCH_CONFIG: TinyGptConfig = {
  vocab: 512,
  dModel: 128,
  layers: 2,
  heads: 4,
  seq: 64,
  batch: 16,
  lr: 1e-3,
  seed: 7,
  explicitTransposeGrad: true,
};

export interface TinyGptOps {
  gelu?: (tf: TF, x: Tensor) => Tensor;
  layerNorm?: (tf: TF, x: Tensor, gamma: Tensor, beta: Tensor) => Tensor;
  /** log softmax(logits)[target] per row: logits [N, V], int32 targets [N] → [N]. */
  tokenLogprobs?: (tf: TF, logits: Tensor, targets: Tensor) => Tensor;
  /** Makes the optimizer (default tf.train.adam) from the learning rate. */
  adam?: (tf: TF, learningRate: number) => tfc.Optimizer;
}

interface Block {
  ln1g: tfc.Variable; ln1b: tfc.Variable;
  wqkv: tfc.Variable; bqkv: tfc.Variable;
  wo: tfc.Variable; bo: tfc.Variable;
  ln2g: tfc.Variable; ln2b: tfc.Variable;
  w1: tfc.Variable; b1: tfc.Variable;
  w2: tfc.Variable; b2: tfc.Variable;
}

/** Swaps the last two axes. */
function swapLast(tf: TF, x: Tensor): Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

export class TinyGpt {
  readonly params: tfc.Variable[] = [];
  private readonly wte: tfc.Variable;
  private readonly wpe: tfc.Variable;
  private readonly blocks: Block[] = [];
  private readonly lnfg: tfc.Variable;
  private readonly lnfb: tfc.Variable;
  private readonly head: tfc.Variable;
  private readonly mask: Tensor;
  private readonly optimizer: tfc.Optimizer;
  private readonly matmulT: (a: Tensor, b: Tensor) => Tensor;
  private seedCounter: number;

  /**
   * `ops` swaps in other implementations of GELU and LayerNorm (the fused ones of
   * @rlhfjs/native-kernels); the defaults are the composed stock ops.
   */
  constructor(
    private readonly tf: TF,
    readonly cfg: TinyGptConfig,
    private readonly ops: TinyGptOps = {},
  ) {
    this.seedCounter = cfg.seed * 1000;
    const d = cfg.dModel;
    const std = 0.02;
    this.wte = this.param([cfg.vocab, d], std);
    this.wpe = this.param([cfg.seq, d], std);
    for (let l = 0; l < cfg.layers; l++) {
      this.blocks.push({
        ln1g: this.constParam([d], 1), ln1b: this.constParam([d], 0),
        wqkv: this.param([d, 3 * d], std), bqkv: this.constParam([3 * d], 0),
        wo: this.param([d, d], std / Math.sqrt(2 * cfg.layers)), bo: this.constParam([d], 0),
        ln2g: this.constParam([d], 1), ln2b: this.constParam([d], 0),
        w1: this.param([d, 4 * d], std), b1: this.constParam([4 * d], 0),
        w2: this.param([4 * d, d], std / Math.sqrt(2 * cfg.layers)), b2: this.constParam([d], 0),
      });
    }
    this.lnfg = this.constParam([d], 1);
    this.lnfb = this.constParam([d], 0);
    this.head = this.param([d, cfg.vocab], std);
    const m = new Float32Array(cfg.seq * cfg.seq);
    for (let i = 0; i < cfg.seq; i++) for (let j = i + 1; j < cfg.seq; j++) m[i * cfg.seq + j] = -1e9;
    this.mask = tf.keep(tf.tensor2d(m, [cfg.seq, cfg.seq]));
    this.optimizer = ops.adam ? ops.adam(tf, cfg.lr) : tf.train.adam(cfg.lr);
    this.matmulT = tf.customGrad(((a: Tensor, b: Tensor, save: tfc.GradSaveFunc) => {
      save([a, b]);
      return {
        value: tf.matMul(a, b),
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [sa, sb] = saved;
          return [tf.matMul(dy, swapLast(tf, sb)), tf.matMul(swapLast(tf, sa), dy)];
        },
      };
    }) as unknown as Parameters<TF['customGrad']>[0]) as unknown as (a: Tensor, b: Tensor) => Tensor;
  }

  private param(shape: number[], std: number): tfc.Variable {
    const v = this.tf.variable(this.tf.randomNormal(shape, 0, std, 'float32', this.seedCounter++));
    this.params.push(v);
    return v;
  }

  private constParam(shape: number[], value: number): tfc.Variable {
    const v = this.tf.variable(this.tf.fill(shape, value, 'float32'));
    this.params.push(v);
    return v;
  }

  /** a @ b, or a @ bᵀ with transposeB. */
  private mm(a: Tensor, b: Tensor, transposeB = false): Tensor {
    if (!this.cfg.explicitTransposeGrad) return this.tf.matMul(a, b, false, transposeB);
    return this.matmulT(a, transposeB ? swapLast(this.tf, b) : b);
  }

  private layerNorm(x: Tensor, g: Tensor, b: Tensor): Tensor {
    const tf = this.tf;
    if (this.ops.layerNorm) return this.ops.layerNorm(tf, x, g, b);
    const mean = tf.mean(x, -1, true);
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), -1, true);
    return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, 1e-5))), g), b);
  }

  private gelu(x: Tensor): Tensor {
    const tf = this.tf;
    if (this.ops.gelu) return this.ops.gelu(tf, x);
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  }

  /** Mean next-token cross-entropy (nats) of ids [batch, seq] against targets [batch, seq]. */
  loss(ids: tfc.Tensor2D, targets: tfc.Tensor2D): tfc.Scalar {
    const tf = this.tf;
    const { vocab, dModel: d, heads, seq } = this.cfg;
    const rows = ids.shape[0];
    const dh = d / heads;
    const flatIds = tf.reshape(ids, [rows * seq]) as tfc.Tensor1D;
    let x = this.mm(tf.cast(tf.oneHot(flatIds, vocab), 'float32'), this.wte); // [N, d]
    x = tf.add(tf.reshape(x, [rows, seq, d]), this.wpe);
    x = tf.reshape(x, [rows * seq, d]);
    for (const blk of this.blocks) {
      const h = this.layerNorm(x, blk.ln1g, blk.ln1b);
      const qkv = tf.add(this.mm(h, blk.wqkv), blk.bqkv); // [N, 3d]
      const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.transpose(tf.reshape(t, [rows, seq, heads, dh]), [0, 2, 1, 3]));
      const scores = tf.add(tf.mul(this.mm(q, k, true), 1 / Math.sqrt(dh)), this.mask);
      const att = tf.softmax(scores);
      const y = tf.reshape(tf.transpose(this.mm(att, v), [0, 2, 1, 3]), [rows * seq, d]);
      x = tf.add(x, tf.add(this.mm(y, blk.wo), blk.bo));
      const h2 = this.layerNorm(x, blk.ln2g, blk.ln2b);
      const f = this.gelu(tf.add(this.mm(h2, blk.w1), blk.b1));
      x = tf.add(x, tf.add(this.mm(f, blk.w2), blk.b2));
    }
    const logits = this.mm(this.layerNorm(x, this.lnfg, this.lnfb), this.head); // [N, vocab]
    const flatTargets = tf.reshape(targets, [rows * seq]) as tfc.Tensor1D;
    const picked = this.ops.tokenLogprobs
      ? this.ops.tokenLogprobs(tf, logits, flatTargets)
      : tf.sum(tf.mul(tf.cast(tf.oneHot(flatTargets, vocab), 'float32'), tf.logSoftmax(logits)), -1);
    return tf.neg(tf.mean(picked)) as tfc.Scalar;
  }

  /** One Adam step; returns the loss before the update. */
  step(ids: tfc.Tensor2D, targets: tfc.Tensor2D): number {
    const lossT = this.optimizer.minimize(() => this.loss(ids, targets), true, this.params);
    if (lossT === null) throw new Error('optimizer returned no loss');
    const value = lossT.dataSync()[0];
    lossT.dispose();
    return value;
  }

  dispose(): void {
    this.tf.dispose(this.params);
    this.mask.dispose();
    this.optimizer.dispose();
  }
}

/**
 * Deterministic learnable batches: each row follows next = (a·prev + c) mod vocab from a random
 * start, with a few rules mixed across rows, so the loss falls quickly and reproducibly.
 */
export function makeBatch(tf: TF, cfg: Pick<TinyGptConfig, 'vocab' | 'seq' | 'batch'>, step: number): { ids: tfc.Tensor2D; targets: tfc.Tensor2D } {
  let s = (step * 2654435761 + 12345) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const ids = new Int32Array(cfg.batch * cfg.seq);
  const targets = new Int32Array(cfg.batch * cfg.seq);
  for (let r = 0; r < cfg.batch; r++) {
    const mulA = [3, 5, 7][r % 3];
    let tok = Math.floor(rand() * cfg.vocab);
    for (let t = 0; t < cfg.seq; t++) {
      const next = (mulA * tok + 1) % cfg.vocab;
      ids[r * cfg.seq + t] = tok;
      targets[r * cfg.seq + t] = next;
      tok = next;
    }
  }
  return { ids: tf.tensor2d(ids, [cfg.batch, cfg.seq], 'int32'), targets: tf.tensor2d(targets, [cfg.batch, cfg.seq], 'int32') };
}
