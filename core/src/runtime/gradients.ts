import type { TF } from '../contract/tensor-runtime';

/**
 * tfjs-core's CommonJS build registers no gradient functions; the `@tensorflow/tfjs` bundle
 * registers them (and the chained tensor methods) into the global registry every copy of
 * tfjs-core reads. Called when the runtime starts, never at import time; it selects no backend.
 */
export function ensureGradients(tf: TF): void {
  if (tf.getGradient('RealDiv') !== undefined && tf.getGradient('Maximum') !== undefined) return;
  require('@tensorflow/tfjs');
  if (tf.getGradient('RealDiv') === undefined) {
    throw new Error('no tfjs gradient functions are registered, and loading @tensorflow/tfjs did not register them (two copies of @tensorflow/tfjs-core installed?)');
  }
}
