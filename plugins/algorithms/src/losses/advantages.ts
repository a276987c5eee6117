import { grpoAdvantages } from '../math/group-advantages';
import { mean, std } from '@rlhfjs/core';
import { whiten } from '@rlhfjs/core';

function groupCount(n: number, k: number, who: string): number {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${who}: samplesPerPrompt must be a positive integer (got ${k})`);
  if (n % k !== 0) throw new Error(`${who}: ${n} rewards do not split into groups of ${k} samples per prompt`);
  return n / k;
}

/**
 * How GRPO scales the group-centred reward r_i − mean_group (TRL's `scale_rewards`):
 * - `group`: ÷ (std_group + ε), the unbiased std of the prompt's k rewards (DeepSeekMath; the default);
 * - `batch`: ÷ (std_batch + ε), the unbiased std of all the iteration's rewards;
 * - `none`: no division (Dr. GRPO: the group std biases towards prompts that are too easy or too hard).
 */
export const REWARD_SCALINGS = ['group', 'batch', 'none'] as const;
export type RewardScaling = (typeof REWARD_SCALINGS)[number];

/** GRPO's advantage per sample under {@link REWARD_SCALINGS}; rows of a prompt are consecutive. `group` is {@link grpoAdvantages} itself. */
export function scaledGroupAdvantages(rewards: readonly number[], k: number, scale: RewardScaling, eps: number): number[] {
  if (scale === 'group') return grpoAdvantages(rewards, k, eps);
  const centred = groupCentred(rewards, k);
  if (scale === 'none') return centred;
  const s = std(rewards as number[], true);
  return centred.map((a) => a / (s + eps));
}

/** r_i − mean of the k rewards of its prompt (REINFORCE++-baseline's baseline, Dr. GRPO's advantage). */
export function groupCentred(rewards: readonly number[], k: number): number[] {
  const g = groupCount(rewards.length, k, 'group baseline');
  const out = new Array<number>(rewards.length);
  for (let p = 0; p < g; p++) {
    const m = mean(rewards.slice(p * k, p * k + k));
    for (let j = 0; j < k; j++) out[p * k + j] = rewards[p * k + j] - m;
  }
  return out;
}

/** Returns-to-go per token: G_t = Σ_{s ≥ t} γ^{s−t}·r_s over each (ragged) row. */
export function cumulativeReturns(rewards: readonly number[][], gamma: number): number[][] {
  return rewards.map((row) => {
    const out = new Array<number>(row.length);
    let g = 0;
    for (let t = row.length - 1; t >= 0; t--) {
      g = row[t] + gamma * g;
      out[t] = g;
    }
    return out;
  });
}

/**
 * REINFORCE++ (Hu 2025, as OpenRLHF runs it): per-token rewards r_t = −β·KL_t plus the score at the
 * last token (../math/reward-shaping.ts), returns G_t = Σ_{s≥t} γ^{s−t}·r_s, and the advantage
 * A_t = (G_t − mean)/sqrt(var + 1e-8) over every response token of the batch (unbiased variance,
 * ../math/whiten.ts): a batch-level normalisation in place of a critic or a group.
 */
export function reinforcePlusPlusAdvantages(tokenRewards: readonly number[][], gamma: number): { returns: number[][]; advantages: number[][] } {
  const returns = cumulativeReturns(tokenRewards, gamma);
  return { returns, advantages: whiten(returns, true) };
}

/**
 * Indices of the groups (prompts) whose k rewards are all equal: their group-relative advantage is
 * 0, so they carry no gradient (DAPO's dynamic sampling drops or replaces them).
 */
export function flatGroups(rewards: readonly number[], k: number): number[] {
  const g = groupCount(rewards.length, k, 'dynamic sampling');
  const out: number[] = [];
  for (let p = 0; p < g; p++) {
    const grp = rewards.slice(p * k, p * k + k);
    if (grp.every((r) => r === grp[0])) out.push(p);
  }
  return out;
}

/**
 * DAPO's soft overlong punishment, added to the score of a completion of `length` tokens when the
 * largest length is L_max = `maxLength` and the buffer L_cache = `buffer`:
 *
 *   R(|y|) = 0                                     if |y| ≤ L_max − L_cache
 *          = ((L_max − L_cache) − |y|) / L_cache    if L_max − L_cache < |y| ≤ L_max
 *          = −1                                    if |y| > L_max
 *
 * times `penalty` (verl's penalty factor; DAPO: 1).
 */
export function overlongPenalty(length: number, maxLength: number, buffer: number, penalty: number): number {
  if (buffer <= 0) return 0;
  const free = maxLength - buffer;
  if (length <= free) return 0;
  if (length > maxLength) return -penalty;
  return (penalty * (free - length)) / buffer;
}
