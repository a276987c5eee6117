import * as os from 'node:os';
import type { ResolvedRecipe } from '../recipe/types';

/**
 * The native kernels' threads of the trainer and of each local worker (runtime.workers.count ≥ 1)
 * when runtime.threads is 0 (every core): processes that compute at the same time share the
 * machine's cores instead of each taking all of them, which on a small machine makes them wait on
 * one another. Synchronously, the workers compute their chunks together while the trainer waits,
 * so each worker gets cores / count and the trainer every core; one step off-policy, the trainer's
 * update runs while the workers generate, so all of them share: cores / (count + 1) each. At least
 * one thread each. Null (nothing changes) when runtime.threads is set or no local worker starts.
 * The kernels give the same bits at any thread count, so the split changes no number.
 */
export function localThreadSplit(runtime: Pick<ResolvedRecipe['runtime'], 'threads' | 'workers'>, cores = os.availableParallelism()): { trainer: number; worker: number } | null {
  const count = runtime.workers?.count ?? 0;
  if ((runtime.threads ?? 0) !== 0 || count < 1) return null;
  if ((runtime.workers?.offPolicySteps ?? 0) > 0) {
    const each = Math.max(1, Math.floor(cores / (count + 1)));
    return { trainer: each, worker: each };
  }
  return { trainer: 0, worker: Math.max(1, Math.floor(cores / count)) };
}
