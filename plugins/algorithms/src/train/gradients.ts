import type { TF } from '@rlhfjs/core';

/**
 * tfjs-core's CommonJS build registers no gradient functions; the `@tensorflow/tfjs` bundle does
 * (into the global registry that every copy of core reads). Called from plugin factories, never
 * at import time; it selects no backend.
 */
export function ensureGradients(tf: TF): void {
  if (tf.getGradient('RealDiv') !== undefined && tf.getGradient('Maximum') !== undefined) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs');
  if (tf.getGradient('RealDiv') === undefined) {
    throw new Error('no tfjs gradient functions are registered, and loading @tensorflow/tfjs did not register them');
  }
}
