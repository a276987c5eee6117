import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { adamOptimizer, atomicWriteFileSync, type PolicyModel, type TF } from '@rlhfjs/core';
import { clipByGlobalNorm, globalNorm } from './global-norm';
import { nonFiniteLoss } from './non-finite';
import { ensureGradients } from './gradients';

export interface LossTerms {
  /** The scalar that is differentiated. */
  total: Scalar;
  /** Scalars reported as metrics (and checked for NaN/Inf), e.g. `loss/policy`. */
  report: Record<string, Scalar>;
}

export interface StepResult {
  /** Every reported scalar, plus `grad_norm`. */
  values: Record<string, number>;
  applied: boolean;
}

export interface PolicyOptimizerSettings {
  learningRate: number;
  /** Clip gradients to this global norm; null turns clipping off. */
  maxGradNorm: number | null;
  /** `kind/name` of the owning plugin, for error messages. */
  plugin: string;
}

const STATE_JSON = 'optimizer.json';
const STATE_BIN = 'optimizer.bin';

/**
 * Adam over the policy's trainable variables, with global-norm clipping and a NaN/Inf check that
 * runs before the weights change. Every step passes a gradient for every variable, in the
 * order of `policy.trainableVariables()` (zeros for a variable the loss does not reach, e.g. an
 * unused value head), so Adam's moment slots line up with variables across steps and resumes.
 */
export class PolicyOptimizer {
  private readonly optimizer;
  private readonly vars: Variable[];

  constructor(
    private readonly tf: TF,
    policy: PolicyModel,
    private readonly settings: PolicyOptimizerSettings,
  ) {
    ensureGradients(tf);
    this.vars = policy.trainableVariables();
    if (this.vars.length === 0) throw new Error(`${settings.plugin}: the policy has no trainable variables`);
    this.optimizer = adamOptimizer(tf, settings.learningRate);
  }

  /**
   * Differentiate `lossFn`, check every reported value, clip and apply. `shouldApply` sees the
   * reported values first and may veto the update (PPO's early stop on approx KL).
   */
  step(lossFn: () => LossTerms, iteration: number, shouldApply?: (values: Record<string, number>) => boolean): StepResult {
    const tf = this.tf;
    let report: Record<string, Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const terms = lossFn();
      report = {};
      for (const [k, v] of Object.entries(terms.report)) report[k] = tf.keep(v);
      return terms.total;
    }, this.vars);
    const values: Record<string, number> = { 'loss/total': value.dataSync()[0] };
    for (const [k, v] of Object.entries(report)) values[k] = v.dataSync()[0];
    tf.dispose([value, ...Object.values(report)]);
    const ordered: Tensor[] = this.vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
    const dispose = () => tf.dispose([...Object.values(grads), ...ordered]);
    for (const [k, v] of Object.entries(values)) {
      if (!Number.isFinite(v)) {
        dispose();
        throw nonFiniteLoss(this.settings.plugin, k, v, iteration);
      }
    }
    const max = this.settings.maxGradNorm;
    let clipped: Tensor[] = [];
    let toApply = ordered;
    if (max === null) {
      values['grad_norm'] = globalNorm(tf, ordered);
    } else {
      const c = clipByGlobalNorm(tf, ordered, max);
      values['grad_norm'] = c.norm;
      clipped = c.grads;
      toApply = c.grads;
    }
    if (!Number.isFinite(values['grad_norm'])) {
      tf.dispose(clipped);
      dispose();
      throw nonFiniteLoss(this.settings.plugin, 'gradient norm', values['grad_norm'], iteration);
    }
    let applied = false;
    if (!shouldApply || shouldApply(values)) {
      this.apply(toApply);
      applied = true;
    }
    tf.dispose(clipped);
    dispose();
    return { values, applied };
  }

  private apply(grads: Tensor[]): void {
    this.optimizer.applyGradients(this.vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
  }

  /** Adam step count and moments, written beside the other algorithm state. */
  async save(dir: string): Promise<void> {
    const weights = await this.optimizer.getWeights();
    const [iter, ...moments] = weights;
    const iterations = iter ? (await iter.tensor.data())[0] : 0;
    const shapes = moments.map((w) => w.tensor.shape);
    const chunks = await Promise.all(moments.map((w) => w.tensor.data()));
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const buf = new Float32Array(total);
    let o = 0;
    for (const c of chunks) {
      buf.set(c as Float32Array, o);
      o += c.length;
    }
    atomicWriteFileSync(path.join(dir, STATE_BIN), new Uint8Array(buf.buffer));
    atomicWriteFileSync(
      path.join(dir, STATE_JSON),
      JSON.stringify({ format: 'adam-v1', learningRate: this.settings.learningRate, iterations, variables: this.vars.map((v) => v.shape), shapes }, null, 2) + '\n',
    );
  }

  async load(dir: string): Promise<void> {
    const jsonPath = path.join(dir, STATE_JSON);
    const meta = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as { format: string; iterations: number; variables: number[][]; shapes: number[][] };
    if (meta.format !== 'adam-v1') throw new Error(`${jsonPath}: unknown optimizer state format "${meta.format}"`);
    const now = this.vars.map((v) => v.shape.join('x')).join(',');
    if (meta.variables.map((s) => s.join('x')).join(',') !== now) {
      throw new Error(`${jsonPath}: optimizer state was saved for different policy variables (shapes differ); resume with the same agent settings`);
    }
    const bytes = fs.readFileSync(path.join(dir, STATE_BIN));
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const tf = this.tf;
    const named: { name: string; tensor: Tensor }[] = [{ name: 'iter', tensor: tf.scalar(meta.iterations, 'int32') }];
    let o = 0;
    meta.shapes.forEach((shape, i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const half = meta.shapes.length / 2;
      const v = this.vars[i % half];
      named.push({ name: `${v.name}/${i < half ? 'm' : 'v'}`, tensor: tf.tensor(data.subarray(o, o + n), shape, 'float32') });
      o += n;
    });
    if (o !== data.length) throw new Error(`${path.join(dir, STATE_BIN)}: holds ${data.length} numbers, expected ${o}`);
    if (named.length > 1) await this.optimizer.setWeights(named);
    tf.dispose(named.map((n) => n.tensor));
  }

  /** Adam steps taken so far. */
  get iterations(): number {
    return (this.optimizer as unknown as { iterations: number }).iterations;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
