import type { Rng, SamplingOptions } from '@rlhfjs/core';

/** The sampling settings that shape one draw (the agent's `sampling` options). */
export type SampleSettings = Pick<SamplingOptions, 'temperature' | 'topK' | 'topP'>;

/**
 * Draw one token from logits on the CPU (so the draw is the same on every backend).
 * Returns the token and its log-probability under softmax(logits / temperature), the distribution
 * the policy defines at that temperature. Top-k / top-p only restrict which tokens can be drawn;
 * the log-prob is not renormalised over the kept set, so it equals what a forward pass at the same
 * temperature scores for the token.
 */
export function sampleToken(logits: ArrayLike<number>, vocab: number, s: SampleSettings, rng: Rng): { token: number; logprob: number } {
  const invT = 1 / s.temperature;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) {
    const z = logits[i] * invT;
    if (z > max) max = z;
  }
  const probs = new Float64Array(vocab);
  let sum = 0;
  for (let i = 0; i < vocab; i++) {
    const e = Math.exp(logits[i] * invT - max);
    probs[i] = e;
    sum += e;
  }
  const logZ = max + Math.log(sum);
  for (let i = 0; i < vocab; i++) probs[i] /= sum;

  let candidates: number[] | null = null;
  if ((s.topK > 0 && s.topK < vocab) || s.topP < 1) {
    const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
    let keep = s.topK > 0 ? Math.min(s.topK, vocab) : vocab;
    if (s.topP < 1) {
      let cum = 0;
      let n = 0;
      while (n < keep) {
        cum += probs[order[n]];
        n += 1;
        if (cum >= s.topP) break;
      }
      keep = n;
    }
    candidates = order.slice(0, keep);
  }

  let token: number;
  if (candidates) {
    let mass = 0;
    for (const i of candidates) mass += probs[i];
    let u = rng.next() * mass;
    token = candidates[candidates.length - 1];
    for (const i of candidates) {
      u -= probs[i];
      if (u < 0) {
        token = i;
        break;
      }
    }
  } else {
    let u = rng.next();
    token = vocab - 1;
    for (let i = 0; i < vocab; i++) {
      u -= probs[i];
      if (u < 0) {
        token = i;
        break;
      }
    }
    // rounding can leave u ≥ 0 after the last token: fall back to the last token with mass
    if (u >= 0) while (token > 0 && probs[token] === 0) token -= 1;
  }
  return { token, logprob: logits[token] * invT - logZ };
}
