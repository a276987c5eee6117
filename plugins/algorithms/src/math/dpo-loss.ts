import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '@rlhfjs/core';

export interface DpoTerms {
  /** −log σ(β·[(logπ(y_w) − logπ_ref(y_w)) − (logπ(y_l) − logπ_ref(y_l))]) per pair. [B] */
  losses: Tensor;
  /** Implicit rewards β·(logπ − logπ_ref) of the chosen and rejected responses. [B] */
  chosenRewards: Tensor;
  rejectedRewards: Tensor;
}

/** DPO (Rafailov et al. 2023) from sequence log-probabilities of chosen (w) and rejected (l) responses. */
export function dpoLoss(tf: TF, policyChosen: Tensor, policyRejected: Tensor, refChosen: Tensor, refRejected: Tensor, beta: number): DpoTerms {
  return tf.tidy(() => {
    const chosenRewards = tf.mul(beta, tf.sub(policyChosen, refChosen));
    const rejectedRewards = tf.mul(beta, tf.sub(policyRejected, refRejected));
    // −log σ(z) = softplus(−z), stable for large |z|
    const losses = tf.softplus(tf.neg(tf.sub(chosenRewards, rejectedRewards)));
    return { losses, chosenRewards, rejectedRewards };
  });
}

/** The same loss on plain numbers, for reports. */
export function dpoLossValue(policyChosen: number, policyRejected: number, refChosen: number, refRejected: number, beta: number): number {
  const z = beta * (policyChosen - refChosen - (policyRejected - refRejected));
  return z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
}
