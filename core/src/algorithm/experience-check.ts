import type { Experience } from '../contract/algorithm';

/** The runner's side of the contract: one score and one reference log-prob per response token. */
export function checkExperience(exp: Experience, plugin: string): number {
  const { rollout, scores, refLogprobs } = exp;
  const n = rollout.responseIds.length;
  if (rollout.promptIds.length !== n) throw new Error(`${plugin}: rollout has ${rollout.promptIds.length} prompts but ${n} responses`);
  if (scores.length !== n) throw new Error(`${plugin}: ${scores.length} scores for ${n} samples`);
  if (refLogprobs.length !== n) throw new Error(`${plugin}: ${refLogprobs.length} rows of reference log-probs for ${n} samples`);
  rollout.responseIds.forEach((r, i) => {
    if (refLogprobs[i].length !== r.length) {
      throw new Error(`${plugin}: sample ${i} has ${r.length} response tokens but ${refLogprobs[i].length} reference log-probs`);
    }
  });
  if (exp.behaviour) {
    const { logprobs, values } = exp.behaviour;
    for (const [what, rowsOf] of [['behaviour log-probs', logprobs], ['behaviour values', values]] as const) {
      if (!rowsOf) continue;
      if (rowsOf.length !== n) throw new Error(`${plugin}: ${rowsOf.length} rows of ${what} for ${n} samples`);
      rollout.responseIds.forEach((r, i) => {
        if (rowsOf[i].length !== r.length) throw new Error(`${plugin}: sample ${i} has ${r.length} response tokens but ${rowsOf[i].length} ${what}`);
      });
    }
  }
  if (!Number.isFinite(exp.beta) || exp.beta < 0) throw new Error(`${plugin}: KL coefficient β is ${exp.beta}`);
  return n;
}
