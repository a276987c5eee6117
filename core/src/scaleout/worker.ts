import type { ConnectionOptions, Job, Worker } from 'bullmq';
import type { ChunkJob, ChunkParts, ChunkResult } from './chunk';
import { computeChunk } from './chunk';
import { attemptKey, queueNames } from './queue';
import type { RedisHandle } from './redis';
import { loadPublishedWeights } from './weights';

export interface WorkerSettings {
  queue: string;
  /** The shared weights folder (absolute). */
  weights: string;
  /** Jobs this process runs at once (1: the tensor work is not concurrent anyway). */
  concurrency: number;
  /** BullMQ's lock on a job (ms): a worker that stops renewing it for this long has stalled. */
  lockDurationMs: number;
  /** How often BullMQ looks for stalled jobs (ms). */
  stalledIntervalMs: number;
  /** How many times a job may stall before it fails. */
  maxStalledCount: number;
  log?: (line: string) => void;
}

/**
 * A rollout worker: a BullMQ worker on the recipe's rollout queue. For each chunk job it checks
 * that the job belongs to its run's current attempt (else returns `{ stale: true }` and does no
 * work), loads the job's policy version into the policy when it holds another one (once per
 * version; a version it cannot load fails the job with the reason), and computes the chunk.
 */
export function startRolloutWorker(parts: ChunkParts, redis: RedisHandle, s: WorkerSettings): { worker: Worker; done: Promise<void> } {
  const { Worker } = require('bullmq') as typeof import('bullmq');
  let loaded: string | undefined;
  const processor = async (job: Job): Promise<ChunkResult | { stale: true }> => {
    const data = job.data as ChunkJob;
    s.log?.(`start job ${job.id}: chunk ${data.chunk} of iteration ${data.iteration} of run ${data.run}`);
    const current = await redis.get(attemptKey(s.queue, data.run));
    if (current !== data.attempt) {
      s.log?.(`discarded job ${job.id}: attempt ${data.attempt} of run ${data.run} is not its current one (${current ?? 'none'})`);
      return { stale: true };
    }
    const key = `${data.run}/${data.attempt}/${data.version}`;
    if (loaded !== key) {
      loaded = undefined;
      loadPublishedWeights(parts.tf, parts.agent.policy, s.weights, data.weights, { run: data.run, attempt: data.attempt, version: data.version });
      loaded = key;
      s.log?.(`loaded policy version ${data.version} of run ${data.run}`);
    }
    const out = await computeChunk(parts, data);
    s.log?.(`done job ${job.id}`);
    return { ...out, run: data.run, attempt: data.attempt, iteration: data.iteration, version: data.version, chunk: data.chunk };
  };
  const worker = new Worker(queueNames(s.queue).rollout, processor, {
    connection: redis.connection as ConnectionOptions,
    concurrency: s.concurrency,
    lockDuration: s.lockDurationMs,
    stalledInterval: s.stalledIntervalMs,
    maxStalledCount: s.maxStalledCount,
  });
  worker.on('failed', (job, err) => s.log?.(`job ${job?.id ?? '?'} failed: ${err.message}`));
  worker.on('stalled', (id) => s.log?.(`job ${id} stalled (its worker stopped renewing the lock): back to the queue`));
  worker.on('error', (err) => s.log?.(`worker error: ${err.message}`));
  const done = new Promise<void>((resolve) => worker.on('closed', () => resolve()));
  return { worker, done };
}
