import type * as tfc from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES } from './kernels/fused';
import { fusedReady } from './fused-ops';
import type { TF } from './wasm-internals';

/** The AdamOptimizer fields (tfjs-core 4.22) the fused step shares with the stock one. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tfc.Variable;
  accBeta2: tfc.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tfc.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tfc.Variable } | undefined)[];
  incrementIterations(): void;
}

type NamedGradients = Parameters<tfc.AdamOptimizer['applyGradients']>[0];

const classes = new WeakMap<object, new (lr: number, b1: number, b2: number, eps?: number) => tfc.AdamOptimizer>();

/** A tf.AdamOptimizer whose update of each variable is one native pass (m, v and x together). */
function fusedAdamClass(tf: TF) {
  const cached = classes.get(tf);
  if (cached) return cached;
  class FusedAdamOptimizer extends tf.AdamOptimizer {
    override applyGradients(variableGradients: NamedGradients): void {
      const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
      const engine = tf.engine();
      const floats = names.every((name) => engine.registeredVariables[name]?.dtype === 'float32');
      if (!floats || !fusedReady(tf, FUSED_KERNEL_NAMES.adam)) {
        super.applyGradients(variableGradients);
        return;
      }
      const self = this as unknown as AdamInternals;
      // bias corrections 1 - beta^t, from the same float32 accumulators as the stock optimizer
      const c1 = 1 - self.accBeta1.dataSync()[0];
      const c2 = 1 - self.accBeta2.dataSync()[0];
      tf.tidy(() => {
        names.forEach((name, i) => {
          const value = engine.registeredVariables[name];
          self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : (variableGradients as tfc.NamedTensorMap)[name];
          if (gradient == null) return;
          const m = (self.accumulatedFirstMoment[i] as { variable: tfc.Variable }).variable;
          const v = (self.accumulatedSecondMoment[i] as { variable: tfc.Variable }).variable;
          const [x2, m2, v2] = engine.runKernel(FUSED_KERNEL_NAMES.adam, { x: value, g: gradient, m, v }, { lr: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, c1, c2 }) as tfc.Tensor[];
          m.assign(m2);
          v.assign(v2);
          value.assign(x2);
        });
        self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
        self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
      });
      self.incrementIterations();
    }
  }
  classes.set(tf, FusedAdamOptimizer);
  return FusedAdamOptimizer;
}

/**
 * `tf.train.adam` with the same arguments, state and serialisation (it is a tf.AdamOptimizer),
 * whose update runs as one native pass per variable where the FusedAdam kernel is installed
 * (about a dozen elementwise kernels per variable otherwise). Elsewhere it is the stock optimizer.
 */
export function adam(tf: TF, learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tfc.AdamOptimizer {
  const Fused = fusedAdamClass(tf);
  // like tf.train.adam: no epsilon means the backend's (1e-7 for float32)
  return new Fused(learningRate, beta1, beta2, epsilon);
}
