import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '@rlhfjs/core';
import { maskedMean } from '@rlhfjs/core';

/**
 * PPO's clipped value loss, with R the GAE returns (see ./gae.ts):
 * V_clipped = V_old + clip(V − V_old, −ε_v, ε_v); loss = ½·mean(max((V − R)², (V_clipped − R)²)).
 */
export function clippedValueLoss(tf: TF, values: Tensor, oldValues: Tensor, returns: Tensor, mask: Tensor, clipRange: number): { loss: Scalar; clipfrac: Scalar } {
  return tf.tidy(() => {
    const vClipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clipRange, clipRange));
    const l1 = tf.square(tf.sub(values, returns));
    const l2 = tf.square(tf.sub(vClipped, returns));
    return {
      loss: tf.mul(0.5, maskedMean(tf, tf.maximum(l1, l2), mask)) as Scalar,
      clipfrac: maskedMean(tf, tf.cast(tf.greater(l2, l1), 'float32'), mask),
    };
  });
}
