export interface ScheduleSettings {
  peak: number;
  min: number;
  warmup: number;
  total: number;
}

/**
 * Learning rate with linear warmup and cosine decay:
 * - step < warmup: peak · (step + 1) / warmup
 * - afterwards: min + ½ (peak − min) (1 + cos(π · p)), p = (step − warmup) / (total − warmup), in [0, 1]
 *
 * `atLeast` raises p (e.g. to the share of a time budget already used), so that the decay ends
 * when whichever limit, steps or time, comes first.
 */
export function warmupCosine(step: number, o: ScheduleSettings, atLeast = 0): number {
  if (o.warmup > 0 && step < o.warmup) return (o.peak * (step + 1)) / o.warmup;
  const span = Math.max(1, o.total - o.warmup);
  const p = Math.min(1, Math.max(0, (step - o.warmup) / span, atLeast));
  return o.min + 0.5 * (o.peak - o.min) * (1 + Math.cos(Math.PI * p));
}
