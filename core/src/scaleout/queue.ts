import type { ConnectionOptions, FlowProducer, Job, Queue } from 'bullmq';
import { DiagnosticError } from '../diagnostics';
import type { ChunkJob, ChunkResult } from './chunk';
import { redactRedisUrl, type RedisHandle } from './redis';

/** The two BullMQ queues of a recipe: iterations (the flows' parents) and rollout chunks (their children). */
export function queueNames(base: string): { iterations: string; rollout: string } {
  return { iterations: `${base}-iterations`, rollout: `${base}-rollout` };
}

/** The Redis key that holds a run's current attempt; a worker discards jobs of any other attempt. */
export function attemptKey(base: string, run: string): string {
  return `rlhfjs:${base}:attempt:${run}`;
}

export interface DispatchSettings {
  url: string;
  queue: string;
  /** Tries per chunk job (a failure, or a stall past BullMQ's maxStalledCount). */
  attempts: number;
  /** How often the trainer looks at the iteration's state, ms. */
  pollMs?: number;
  /** Print a hint when no chunk is finished after this long, ms. */
  idleHintMs?: number;
  log?: (line: string) => void;
}

/**
 * The trainer's side of the queue: each iteration is one BullMQ flow whose parent job (queue
 * `<queue>-iterations`) stands for the iteration and whose children (queue `<queue>-rollout`) are
 * its chunks. The parent leaves `waiting-children` once every chunk is done; the trainer then reads
 * the children's values, checks each one's identity, and orders them by chunk.
 */
export class RolloutDispatcher {
  private constructor(
    private readonly s: DispatchSettings,
    private readonly redis: RedisHandle,
    private readonly flows: FlowProducer,
    private readonly iterations: Queue,
    private readonly rollout: Queue,
    readonly run: string,
    readonly attempt: string,
  ) {}

  /** Open the queues, mark `attempt` as the run's current one and drop waiting jobs of its earlier attempts. */
  static async open(s: DispatchSettings, redis: RedisHandle, run: string, attempt: string): Promise<RolloutDispatcher> {
    const { FlowProducer, Queue } = require('bullmq') as typeof import('bullmq');
    const names = queueNames(s.queue);
    const connection = redis.connection as ConnectionOptions;
    const flows = new FlowProducer({ connection });
    const iterations = new Queue(names.iterations, { connection });
    const rollout = new Queue(names.rollout, { connection });
    await redis.set(attemptKey(s.queue, run), attempt);
    const d = new RolloutDispatcher(s, redis, flows, iterations, rollout, run, attempt);
    await d.dropStale();
    return d;
  }

  /** Remove jobs of this run's earlier attempts that no worker holds yet (a worker holding one discards it). */
  private async dropStale(): Promise<number> {
    let dropped = 0;
    for (const q of [this.iterations, this.rollout]) {
      const jobs = await q.getJobs(['waiting', 'waiting-children', 'delayed', 'prioritized'], 0, 10_000);
      for (const job of jobs) {
        const data = job?.data as Partial<ChunkJob> | undefined;
        if (!job || data?.run !== this.run || data.attempt === this.attempt) continue;
        try {
          await job.remove();
          dropped += 1;
        } catch {
          // locked by a worker now: that worker sees the stale attempt and discards it
        }
      }
    }
    if (dropped) this.s.log?.(`dropped ${dropped} queued job(s) of an earlier start of this run`);
    return dropped;
  }

  /** Queue an iteration's chunks as one flow; {@link collect} waits for it. */
  async submit(iteration: number, jobs: readonly ChunkJob[]): Promise<Job> {
    const id = `${this.run}.${this.attempt}.${iteration}`;
    const names = queueNames(this.s.queue);
    const node = await this.flows.add({
      name: 'iteration',
      queueName: names.iterations,
      data: { run: this.run, attempt: this.attempt, iteration, chunks: jobs.length },
      opts: { jobId: id },
      children: jobs.map((j) => ({
        name: 'rollout',
        queueName: names.rollout,
        data: j,
        opts: { jobId: `${id}.${j.chunk}`, attempts: this.s.attempts, failParentOnFailure: true },
      })),
    });
    return node.job;
  }

  /** Wait for a submitted iteration; returns its chunks' results in chunk order, each checked. */
  async collect(parent: Job, expected: readonly ChunkJob[]): Promise<ChunkResult[]> {
    const poll = this.s.pollMs ?? 20;
    const started = Date.now();
    let hinted = false;
    for (;;) {
      const state = await parent.getState();
      if (state === 'waiting' || state === 'completed' || state === 'active' || state === 'prioritized') break;
      if (state === 'failed') throw await this.failure(expected);
      if (state === 'unknown') throw new DiagnosticError({ code: 'workers/lost-iteration', pointer: '/runtime/workers', message: `the iteration job ${parent.id} vanished from Redis at ${redactRedisUrl(this.s.url)} (was the queue emptied or Redis restarted without persistence?)`, fix: 'resume the run with rlhf train --resume <run-dir>' });
      if (!hinted && Date.now() - started > (this.s.idleHintMs ?? 30_000)) {
        hinted = true;
        this.s.log?.(`waiting for rollout workers on queue ${queueNames(this.s.queue).rollout} at ${redactRedisUrl(this.s.url)}; start some with: rlhf worker <recipe> --redis ${redactRedisUrl(this.s.url)}`);
      }
      await new Promise((r) => setTimeout(r, poll));
    }
    // a chunk that failed all its tries: the parent leaves waiting-children with it counted as failed
    const deps = await parent.getDependenciesCount();
    if ((deps.failed ?? 0) > 0) throw await this.failure(expected);
    const values = Object.values(await parent.getChildrenValues()) as Array<ChunkResult | { stale: true }>;
    const byChunk = new Map<number, ChunkResult>();
    for (const v of values) if (v && !('stale' in v)) byChunk.set(v.chunk, v);
    const out: ChunkResult[] = [];
    for (const job of expected) {
      const r = byChunk.get(job.chunk);
      if (!r) throw new DiagnosticError({ code: 'workers/missing-chunk', pointer: '/runtime/workers', message: `no result for chunk ${job.chunk} of iteration ${job.iteration} (a worker discarded it as stale)`, fix: 'resume the run with rlhf train --resume <run-dir>' });
      checkResult(r, job);
      out.push(r);
    }
    await parent.remove().catch(() => undefined);
    return out;
  }

  private async failure(expected: readonly ChunkJob[]): Promise<DiagnosticError> {
    const reasons: string[] = [];
    for (const j of expected) {
      const job = await this.rollout.getJob(`${this.run}.${this.attempt}.${j.iteration}.${j.chunk}`);
      if (job && (await job.getState()) === 'failed') reasons.push(`chunk ${j.chunk}: ${job.failedReason}`);
    }
    return new DiagnosticError(
      {
        code: 'workers/job-failed',
        pointer: '/runtime/workers',
        message: `a rollout job of iteration ${expected[0]?.iteration} failed on the workers after ${this.s.attempts} tries: ${reasons.join('; ') || 'no reason recorded'}`,
        fix: 'see the worker\'s message above; fix its cause (e.g. a worker that cannot read the weights folder), then resume with rlhf train --resume <run-dir>',
      },
      { exitCode: 1 },
    );
  }

  async close(): Promise<void> {
    await this.flows.close();
    await this.iterations.close();
    await this.rollout.close();
  }
}

/** A result must be the job's own: same run, attempt, iteration, chunk and policy version. */
export function checkResult(r: ChunkResult, job: ChunkJob): void {
  const bad = (['run', 'attempt', 'iteration', 'chunk', 'version'] as const).filter((k) => r[k] !== job[k]);
  if (bad.length) {
    throw new DiagnosticError({
      code: 'workers/wrong-result',
      pointer: '/runtime/workers',
      message: `the result of chunk ${job.chunk} of iteration ${job.iteration} does not match its job: ${bad.map((k) => `${k} ${JSON.stringify(r[k])} instead of ${JSON.stringify(job[k])}`).join(', ')}`,
      fix: 'every worker must run the same version of rlhfjs against the same weights folder; restart the workers and resume the run',
    });
  }
  if (job.behaviour && !r.behaviour) {
    throw new DiagnosticError({
      code: 'workers/wrong-result',
      pointer: '/runtime/workers',
      message: `chunk ${job.chunk} of iteration ${job.iteration} came back without the sampling policy's log-probs that one-step-off asks for (the worker runs an older rlhfjs)`,
      fix: 'every worker must run the same version of rlhfjs as the trainer; update the workers and resume the run',
    });
  }
  const rows = job.prompts.length * job.samplesPerPrompt;
  if (r.rollout.responseIds.length !== rows) {
    throw new DiagnosticError({ code: 'workers/wrong-result', pointer: '/runtime/workers', message: `chunk ${job.chunk} of iteration ${job.iteration} came back with ${r.rollout.responseIds.length} rows instead of ${rows}`, fix: 'every worker must run the same recipe as the trainer' });
  }
}
