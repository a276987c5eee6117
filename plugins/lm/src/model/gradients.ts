import type { TF } from '@rlhfjs/core';

/**
 * tfjs-core's CommonJS build registers no gradient functions; the only CommonJS build that does is
 * the `@tensorflow/tfjs` bundle (its gradient registry is global, so it serves every copy of core).
 * Loaded on first use, never at import time. Also registers the `cpu` backend factory, which
 * selects nothing by itself.
 */
export function ensureGradients(tf: TF): void {
  if (tf.getGradient('Sum') !== undefined) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs');
  if (tf.getGradient('Sum') === undefined) {
    throw new Error('No tfjs gradient functions are registered and loading @tensorflow/tfjs did not register them');
  }
}
