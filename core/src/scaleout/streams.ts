import { Rng } from '../runtime/rng';

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The random stream of one sample of an iteration: a function of (seed, iteration, prompt index,
 * sample index) only, never of the process, worker or chunk that draws it, so a rollout gives the
 * same completions whichever way its prompts are split. The 128-bit xoshiro state is
 * s_w = fmix32(fmix32(fmix32(fmix32(fmix32(seed ⊕ c_w) ⊕ iteration) ⊕ prompt) ⊕ sample) ⊕ w)
 * for w = 0…3 (c_w = 0x9e3779b9·(w+1)); the index words are kept to 32 bits.
 */
export function sampleStream(seed: number, iteration: number, prompt: number, sample: number): Rng {
  const s: [number, number, number, number] = [0, 0, 0, 0];
  for (let w = 0; w < 4; w++) {
    let h = fmix32((seed ^ Math.imul(0x9e3779b9, w + 1)) >>> 0);
    h = fmix32((h ^ iteration) >>> 0);
    h = fmix32((h ^ prompt) >>> 0);
    h = fmix32((h ^ sample) >>> 0);
    s[w] = fmix32((h ^ w) >>> 0);
  }
  if (s.every((v) => v === 0)) s[0] = 1;
  return new Rng({ s });
}
