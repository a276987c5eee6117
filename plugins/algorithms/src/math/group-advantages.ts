import { mean, std } from '@rlhfjs/core';

function groups(n: number, k: number, who: string): number {
  if (!Number.isInteger(k) || k < 2) throw new Error(`${who}: samplesPerPrompt must be an integer ≥ 2 (got ${k})`);
  if (n % k !== 0) throw new Error(`${who}: ${n} rewards do not split into groups of ${k} samples per prompt`);
  return n / k;
}

/**
 * RLOO baseline: for k samples of one prompt, the baseline of sample i is the mean reward of
 * the other k − 1. Rows of a prompt are consecutive (row = prompt·k + j).
 */
export function rlooBaselines(rewards: readonly number[], k: number): number[] {
  const g = groups(rewards.length, k, 'rloo');
  const out = new Array<number>(rewards.length);
  for (let p = 0; p < g; p++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += rewards[p * k + j];
    for (let j = 0; j < k; j++) out[p * k + j] = (sum - rewards[p * k + j]) / (k - 1);
  }
  return out;
}

/** RLOO advantage: reward minus the leave-one-out baseline. */
export function rlooAdvantages(rewards: readonly number[], k: number): number[] {
  const b = rlooBaselines(rewards, k);
  return rewards.map((r, i) => r - b[i]);
}

/**
 * GRPO advantage: (r − mean_group)/(std_group + eps), with the unbiased (n − 1) group standard
 * deviation as in DeepSeekMath's and TRL's code. A group whose rewards are all equal gets 0.
 */
export function grpoAdvantages(rewards: readonly number[], k: number, eps = 1e-4): number[] {
  const g = groups(rewards.length, k, 'grpo');
  const out = new Array<number>(rewards.length);
  for (let p = 0; p < g; p++) {
    const grp = rewards.slice(p * k, p * k + k);
    const m = mean(grp);
    const s = std(grp, true);
    for (let j = 0; j < k; j++) out[p * k + j] = (grp[j] - m) / (s + eps);
  }
  return out;
}
