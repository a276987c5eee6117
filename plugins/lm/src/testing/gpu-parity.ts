import { AdamW, packRollout, disposePacked, type TF } from '@rlhfjs/core';
import type { GPTConfig } from '../model/config';
import { tinyModel, tinyTokenizer } from '../model/testing/tiny';

/** Token rows (prompt of 3 tokens, then the response) of different lengths, so padding is exercised. */
export const PARITY_ROWS = [
  [5, 17, 40, 41, 42, 9, 3, 77, 120, 6, 11, 250],
  [8, 8, 30, 31, 90, 2, 150, 151],
  [100, 101, 102, 7, 7, 7, 60, 61, 62, 63],
];

/** What {@link parityCase} computes on the backend in use. */
export interface ParityResult {
  /** log p of every response token (the packed batch's logprobs [B, T-1], row-major). */
  logprobs: number[];
  /** Every weight after one Adam step on −mean log p plus a value regression, flattened in name order. */
  weightsAfterStep: number[];
  /** The step's reported values (loss/total, grad_norm). */
  values: Record<string, number>;
}

/**
 * The project's GPT (tiny, seed-initialised, with a value head) on the backend in use: forward
 * log-probs of {@link PARITY_ROWS}, then one AdamW step (lr 1e-2) on the sum of the mean negative
 * log-prob and the mean squared value error against 0.5. Everything read asynchronously, as a GPU
 * backend needs. Compare two backends' results with {@link maxAbsDiff}.
 */
export async function parityCase(tf: TF, over: Partial<GPTConfig> = {}): Promise<ParityResult> {
  const tokenizer = tinyTokenizer();
  const model = tinyModel(tf, { valueHead: true, ...over }, 11, tokenizer);
  const packed = packRollout(tf, { promptIds: PARITY_ROWS.map((r) => r.slice(0, 3)), responseIds: PARITY_ROWS.map((r) => r.slice(3)) }, tokenizer.padId);
  try {
    const lpT = tf.tidy(() => model.forward(packed.batch).logprobs);
    const logprobs = Array.from(await lpT.data());
    lpT.dispose();
    const vars = model.trainableVariables();
    const adam = new AdamW(tf, vars, { learningRate: 1e-2, owner: { plugin: 'test/parity', pointer: '/' } });
    const { values } = await adam.stepAsync(
      () => {
        const out = model.forward(packed.batch, { values: true });
        const mask = packed.responseMask;
        const n = tf.sum(mask);
        const nll = tf.div(tf.neg(tf.sum(tf.mul(out.logprobs, mask))), n);
        const v = tf.div(tf.sum(tf.mul(tf.square(tf.sub(out.values!, 0.5)), mask)), n);
        return tf.add(nll, v) as never;
      },
      { step: 0 },
    );
    const weightsAfterStep: number[] = [];
    const named = [...model.namedWeights().entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [, t] of named) weightsAfterStep.push(...(await t.data()));
    adam.dispose();
    return { logprobs, weightsAfterStep, values };
  } finally {
    disposePacked(packed);
    model.dispose();
  }
}

/** The largest |a[i] − b[i]| (Infinity when the lengths differ or a value is not finite). */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!Number.isFinite(d)) return Infinity;
    if (d > m) m = d;
  }
  return m;
}
