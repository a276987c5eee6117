import type * as tfc from '@tensorflow/tfjs-core';
import type { TF } from '@rlhfjs/core';

export interface AdamSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (AdamW) applied to matrices only; 0 for plain Adam. */
  weightDecay: number;
}

/**
 * Adam (optionally AdamW) with the learning rate passed per step, so schedules need no optimizer
 * internals, and with its moments exposed by name for checkpoints. Bias-corrected as in Kingma & Ba:
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
 */
export class Adam {
  step = 0;
  private readonly m = new Map<string, tfc.Variable>();
  private readonly v = new Map<string, tfc.Variable>();

  constructor(
    private readonly tf: TF,
    private readonly params: Map<string, tfc.Variable>,
    private readonly s: AdamSettings,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Apply one update with gradients by parameter name. */
  apply(grads: Map<string, tfc.Tensor>, lr: number): void {
    const tf = this.tf;
    const { beta1, beta2, epsilon, weightDecay } = this.s;
    this.step += 1;
    const c1 = 1 - Math.pow(beta1, this.step);
    const c2 = 1 - Math.pow(beta2, this.step);
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(m1);
        v.assign(v1);
        const upd = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), epsilon));
        let next = tf.sub(p, tf.mul(upd, lr));
        if (weightDecay > 0 && p.rank >= 2) next = tf.sub(next, tf.mul(p, lr * weightDecay));
        p.assign(next);
      });
    }
  }

  /** Moments as `m.<name>` / `v.<name>` arrays and the step count, for a checkpoint. */
  async state(): Promise<{ step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> }> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of this.m) tensors.set(`m.${name}`, { shape: [...t.shape], data: (await t.data()) as Float32Array });
    for (const [name, t] of this.v) tensors.set(`v.${name}`, { shape: [...t.shape], data: (await t.data()) as Float32Array });
    return { step: this.step, tensors };
  }

  setState(step: number, tensors: Map<string, { shape: number[]; data: Float32Array | Int32Array }>): void {
    for (const [prefix, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, variable] of map) {
        const t = tensors.get(`${prefix}.${name}`);
        if (!t) throw new Error(`optimizer state has no "${prefix}.${name}"`);
        variable.assign(this.tf.tensor(t.data, t.shape, 'float32'));
      }
    }
    this.step = step;
  }

  dispose(): void {
    this.m.forEach((t) => t.dispose());
    this.v.forEach((t) => t.dispose());
  }
}

/**
 * Scale gradients so their global L2 norm is at most `maxNorm` (0 = no clipping).
 * Returns the norm before clipping; the map is updated in place (old tensors disposed).
 */
export function clipByGlobalNorm(tf: TF, grads: Map<string, tfc.Tensor>, maxNorm: number): number {
  const norm = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))))).dataSync()[0];
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const [k, g] of grads) {
      grads.set(k, tf.mul(g, scale));
      g.dispose();
    }
  }
  return norm;
}
