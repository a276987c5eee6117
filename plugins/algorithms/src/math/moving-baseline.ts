import { mean } from '@rlhfjs/core';

/**
 * REINFORCE's moving baseline for one iteration. The advantage uses the baseline from earlier
 * iterations (so a sample's own reward does not enter it); the first iteration, with no history,
 * uses its own mean. Afterwards b ← decay·b + (1 − decay)·mean(R).
 */
export function movingBaseline(rewards: readonly number[], previous: number | null, decay: number): { advantages: number[]; baselineUsed: number; next: number } {
  const m = mean(rewards);
  const used = previous ?? m;
  return { advantages: rewards.map((r) => r - used), baselineUsed: used, next: previous === null ? m : decay * previous + (1 - decay) * m };
}
