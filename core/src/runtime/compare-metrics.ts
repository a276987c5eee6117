import type { MetricsRecord } from './run-dir';

/** Keys that measure time, not learning: excluded when runs are compared. */
export const TIMING_KEYS = (key: string): boolean => key === 'time' || key.startsWith('perf/') || key.startsWith('time/');

export interface MetricsDifference {
  step: number;
  key: string;
  stored: unknown;
  reproduced: unknown;
}

export interface MetricsComparison {
  identical: boolean;
  stepsCompared: number;
  first?: MetricsDifference;
  /** Set when one run has more steps than the other. */
  lengthMismatch?: { stored: number; reproduced: number };
}

/**
 * Compare two runs' metrics step by step, ignoring timing keys, and return the first
 * difference (exact equality: the same backend must give the same numbers).
 */
export function compareMetrics(stored: readonly MetricsRecord[], reproduced: readonly MetricsRecord[]): MetricsComparison {
  const n = Math.min(stored.length, reproduced.length);
  for (let i = 0; i < n; i++) {
    const a = stored[i];
    const b = reproduced[i];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !TIMING_KEYS(k)).sort();
    for (const key of keys) {
      if (!Object.is(a[key], b[key])) return { identical: false, stepsCompared: i + 1, first: { step: a.step ?? i, key, stored: a[key], reproduced: b[key] } };
    }
  }
  if (stored.length !== reproduced.length) return { identical: false, stepsCompared: n, lengthMismatch: { stored: stored.length, reproduced: reproduced.length } };
  return { identical: true, stepsCompared: n };
}
