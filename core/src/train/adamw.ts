import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import type { TF } from '../contract/tensor-runtime';
import { DiagnosticError } from '../diagnostics';
import { adamOptimizer } from '../runtime/native-ops';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../runtime/safetensors';
import { clipByGlobalNorm, clipByGlobalNormAsync, globalNorm, globalNormAsync } from './global-norm';
import { nonFiniteLossError, type TrainingOwner } from './non-finite';

/** What a loss function returns: the scalar that is differentiated and scalars to report. */
export interface LossTerms {
  total: tfc.Scalar;
  /** Reported as metrics and checked for NaN/Inf before the update, e.g. `loss/policy`. */
  report?: Record<string, tfc.Scalar>;
}

export interface AdamWOptions {
  /** The learning rate of a step that names none. */
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** Default: the backend's (1e-7 for float32), as tf.train.adam. */
  epsilon?: number;
  /** Decoupled weight decay (AdamW) on weight matrices (rank ≥ 2): θ ← θ·(1 − lr·wd) before the Adam update. 0 (default) is plain Adam. */
  weightDecay?: number;
  /** Clip the global gradient norm to this (torch's clip_grad_norm_); null or 0 (default) turns clipping off. */
  maxGradNorm?: number | null;
  /** Named in the non-finite error. */
  owner: TrainingOwner;
  /** Names of the variables in the state file (default: their positions, "0", "1", …). */
  names?: readonly string[];
}

export interface StepOptions {
  /** The caller's step (or iteration) number, for the error message. */
  step: number;
  /** This step's learning rate (a schedule); default: the constructor's. */
  learningRate?: number;
  /** Sees every reported value first and may veto the update (PPO's early stop on approx KL). */
  shouldApply?: (values: Record<string, number>) => boolean;
}

export interface StepResult {
  /** `loss/total`, every reported scalar, and `grad_norm` (before clipping). */
  values: Record<string, number>;
  applied: boolean;
}

/** File the optimiser state is written to inside a checkpoint folder. */
export const OPTIMIZER_STATE_FILE = 'optimizer.safetensors';
const FORMAT = 'rlhfjs-adamw-1';

/** The tf.AdamOptimizer fields the state round trip reads and writes (tfjs-core 4.x). */
interface AdamFields {
  learningRate: number;
  accBeta1: tfc.Variable;
  accBeta2: tfc.Variable;
  iterations: number;
}

/**
 * The training kit of every loop: differentiate, check for NaN/Inf, clip, apply AdamW, all in that
 * order, so a non-finite loss or gradient never reaches the weights. The Adam inside is core's
 * {@link adamOptimizer} (tf.AdamOptimizer, or its fused native twin where the native kernels are
 * on), stepped exactly as `optimizer.minimize` steps it: variableGrads, then applyGradients with
 * those gradient tensors (scaled copies only when clipping scales them):
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
 * Every step passes a gradient for every variable in the constructor's order (zeros for one the
 * loss does not reach), so Adam's moment slots line up with variables across steps and resumes.
 */
export class AdamW {
  private readonly optimizer: tfc.AdamOptimizer;
  private readonly names: readonly string[];
  private readonly weightDecay: number;
  private readonly maxGradNorm: number | null;

  constructor(
    private readonly tf: TF,
    private readonly vars: readonly tfc.Variable[],
    private readonly o: AdamWOptions,
  ) {
    if (vars.length === 0) throw new Error(`${o.owner.plugin}: nothing to train (no trainable variables)`);
    this.names = o.names ?? vars.map((_, i) => String(i));
    if (this.names.length !== vars.length) throw new Error(`${o.owner.plugin}: ${this.names.length} names for ${vars.length} variables`);
    this.weightDecay = o.weightDecay ?? 0;
    this.maxGradNorm = o.maxGradNorm ? o.maxGradNorm : null;
    this.optimizer = adamOptimizer(tf, o.learningRate, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon);
  }

  /**
   * One step: differentiate `lossFn`, read every reported value and the gradient norm, refuse
   * NaN/Inf (a `train/non-finite-loss` error; the weights stay as they were), clip, then apply,
   * unless `shouldApply` vetoes it.
   */
  step(lossFn: () => LossTerms | tfc.Scalar, opts: StepOptions): StepResult {
    const d = this.differentiate(lossFn);
    const values: Record<string, number> = {};
    for (const [k, t] of d.scalars) values[k] = t.dataSync()[0];
    this.tf.dispose(d.scalars.map(([, t]) => t));
    try {
      this.checkLoss(values, opts);
      return this.finish(d.ordered, d.owned, values, this.maxGradNorm === null ? { norm: globalNorm(this.tf, d.ordered), grads: null } : clipByGlobalNorm(this.tf, d.ordered, this.maxGradNorm), opts);
    } finally {
      this.tf.dispose(d.owned);
    }
  }

  /**
   * {@link step} with every value read asynchronously (await tensor.data()): the same numbers in
   * the same order. A GPU backend needs it (the webgpu backend cannot read a GPU tensor
   * synchronously in Node); on the CPU backends it is the same step.
   */
  async stepAsync(lossFn: () => LossTerms | tfc.Scalar, opts: StepOptions): Promise<StepResult> {
    const d = this.differentiate(lossFn);
    const values: Record<string, number> = {};
    try {
      for (const [k, t] of d.scalars) values[k] = (await t.data())[0];
    } finally {
      this.tf.dispose(d.scalars.map(([, t]) => t));
    }
    try {
      this.checkLoss(values, opts);
      return this.finish(d.ordered, d.owned, values, this.maxGradNorm === null ? { norm: await globalNormAsync(this.tf, d.ordered), grads: null } : await clipByGlobalNormAsync(this.tf, d.ordered, this.maxGradNorm), opts);
    } finally {
      this.tf.dispose(d.owned);
    }
  }

  /** The loss, the reported scalars and one gradient per variable (zeros where the loss does not reach). */
  private differentiate(lossFn: () => LossTerms | tfc.Scalar): { scalars: [string, tfc.Scalar][]; ordered: tfc.Tensor[]; owned: tfc.Tensor[] } {
    const tf = this.tf;
    let report: Record<string, tfc.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = lossFn();
      if (!isLossTerms(out)) return out;
      report = {};
      for (const [k, v] of Object.entries(out.report ?? {})) report[k] = tf.keep(v);
      return out.total;
    }, this.vars as tfc.Variable[]);
    const missing: tfc.Tensor[] = [];
    const ordered = this.vars.map((v) => {
      const g = grads[v.name];
      if (g) return g;
      const z = tf.zerosLike(v);
      missing.push(z);
      return z;
    });
    return { scalars: [['loss/total', value], ...Object.entries(report)], ordered, owned: [...Object.values(grads), ...missing] };
  }

  private checkLoss(values: Record<string, number>, opts: StepOptions): void {
    for (const [k, v] of Object.entries(values)) if (!Number.isFinite(v)) throw nonFiniteLossError(this.o.owner, k, v, opts.step);
  }

  /** Record the norm, refuse a non-finite one, ask `shouldApply`, apply (clipped gradients when clipping made them). */
  private finish(ordered: tfc.Tensor[], owned: tfc.Tensor[], values: Record<string, number>, c: { norm: number; grads: tfc.Tensor[] | null }, opts: StepOptions): StepResult {
    values['grad_norm'] = c.norm;
    let toApply = ordered;
    if (c.grads) {
      owned.push(...c.grads);
      toApply = c.grads;
    }
    if (!Number.isFinite(values['grad_norm'])) throw nonFiniteLossError(this.o.owner, 'the gradient norm', values['grad_norm'], opts.step);
    if (opts.shouldApply && !opts.shouldApply(values)) return { values, applied: false };
    this.apply(toApply, opts.learningRate ?? this.o.learningRate);
    return { values, applied: true };
  }

  /** Apply given gradients (one per variable, in the constructor's order) at learning rate `lr`. */
  apply(grads: readonly tfc.Tensor[], lr: number = this.o.learningRate): void {
    const tf = this.tf;
    if (this.weightDecay > 0) {
      const keep = 1 - lr * this.weightDecay;
      tf.tidy(() => {
        for (const v of this.vars) if (v.rank >= 2) v.assign(tf.mul(v, keep));
      });
    }
    // tf.AdamOptimizer (and the fused one) reads this field on every applyGradients
    this.fields.learningRate = lr;
    this.optimizer.applyGradients(this.vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
  }

  /** Adam steps taken so far. */
  get iterations(): number {
    return this.fields.iterations;
  }

  /**
   * Write the state into `dir` (atomically, {@link OPTIMIZER_STATE_FILE}): the moments `m.<name>`
   * and `v.<name>`, the step count, and the bias-correction accumulators β₁ᵗ⁺¹ and β₂ᵗ⁺¹ exactly as
   * the running optimiser holds them (products of float32 multiplications, which pow(β, t+1), what
   * tf's setWeights recomputes, misses in the last bit for many t).
   */
  async save(dir: string): Promise<void> {
    const weights = await this.optimizer.getWeights();
    const moments = weights.slice(1);
    const tensors = new Map<string, NamedTensor>();
    const f = this.fields;
    tensors.set('adam.accBeta1', { dtype: 'F32', shape: [], data: new Float32Array(await f.accBeta1.data()) });
    tensors.set('adam.accBeta2', { dtype: 'F32', shape: [], data: new Float32Array(await f.accBeta2.data()) });
    tensors.set('adam.iterations', { dtype: 'I32', shape: [], data: Int32Array.of(this.iterations) });
    const half = moments.length / 2;
    for (let i = 0; i < moments.length; i++) {
      const name = `${i < half ? 'm' : 'v'}.${this.names[i % half]}`;
      tensors.set(name, { dtype: 'F32', shape: [...moments[i].tensor.shape], data: new Float32Array(await moments[i].tensor.data()) });
    }
    writeSafetensors(path.join(dir, OPTIMIZER_STATE_FILE), tensors, { format: FORMAT, variables: String(half) });
  }

  /** Restore what {@link save} wrote, so the next step is the one the saved run would have taken. */
  async load(dir: string): Promise<void> {
    const file = path.join(dir, OPTIMIZER_STATE_FILE);
    const where = { code: 'checkpoint/optimizer-state', file, plugin: this.o.owner.plugin };
    if (!fs.existsSync(file)) throw new DiagnosticError({ ...where, message: `the checkpoint has no optimiser state (${OPTIMIZER_STATE_FILE})`, fix: 'resume from a checkpoint written by this version, or start a new run' }, { exitCode: 1 });
    const { tensors, metadata } = readSafetensors(file);
    if (metadata.format !== FORMAT) throw new DiagnosticError({ ...where, message: `unknown optimiser state format "${metadata.format}"`, fix: 'resume from a checkpoint written by this version, or start a new run' }, { exitCode: 1 });
    const tf = this.tf;
    const iterations = tensors.get('adam.iterations')!.data[0];
    const named: { name: string; tensor: tfc.Tensor }[] = [{ name: 'iter', tensor: tf.scalar(iterations, 'int32') }];
    if (Number(metadata.variables) > 0) {
      for (const prefix of ['m', 'v']) {
        this.vars.forEach((v, i) => {
          const t = tensors.get(`${prefix}.${this.names[i]}`);
          if (!t || t.shape.join('x') !== v.shape.join('x')) {
            throw new DiagnosticError({ ...where, message: `the optimiser state was saved for other variables (${prefix}.${this.names[i]} ${t ? `has shape [${t.shape}], the model [${v.shape}]` : 'is missing'})`, fix: 'resume with the model settings the run started with' }, { exitCode: 1 });
          }
          named.push({ name: `${v.name}/${prefix}`, tensor: tf.tensor(t.data, t.shape, 'float32') });
        });
      }
      await this.optimizer.setWeights(named);
    }
    tf.dispose(named.map((n) => n.tensor));
    const f = this.fields;
    f.accBeta1.assign(tf.scalar(tensors.get('adam.accBeta1')!.data[0]));
    f.accBeta2.assign(tf.scalar(tensors.get('adam.accBeta2')!.data[0]));
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  private get fields(): AdamFields {
    return this.optimizer as unknown as AdamFields;
  }
}

function isLossTerms(x: LossTerms | tfc.Scalar): x is LossTerms {
  return (x as LossTerms).total !== undefined && (x as tfc.Tensor).dataId === undefined;
}
