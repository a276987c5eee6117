import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Prompt } from '../contract/environment';
import type { PolicyModel } from '../contract/agent';
import { DiagnosticError } from '../diagnostics';
import type { ResolvedRecipe } from '../recipe/types';
import { computeChunk, mergeChunks, splitPrompts, type ChunkJob, type ChunkOutput, type ChunkParts } from './chunk';
import { RolloutDispatcher } from './queue';
import { connectRedis, type RedisHandle } from './redis';
import { localThreadSplit } from './threads';
import { publishWeights, runKey } from './weights';

export type WorkersConfig = NonNullable<ResolvedRecipe['runtime']['workers']>;

/** The queue base name of a recipe: `runtime.workers.queue`, or rlhf-<name>. */
export function queueBase(recipe: ResolvedRecipe): string {
  return recipe.runtime.workers?.queue ?? `rlhf-${recipe.name}`;
}

export interface ScaleOutContext {
  recipe: ResolvedRecipe;
  parts: ChunkParts;
  /** The trainer's run directory (the run's key, and the reward sources' `model`). */
  runDir: string;
  /** Resolves `runtime.workers.weights` (relative to the recipe file). */
  resolvePath: (p: string) => string;
  log: (line: string) => void;
}

/** An iteration's rollout as the trainer gets it back: joined in prompt order. */
export interface ScaledRollout extends ChunkOutput {
  /** Seconds spent publishing the weights. */
  publish_s: number;
  chunks: number;
}

/**
 * The trainer's side of `runtime.workers`: cuts each iteration's prompts into chunks of
 * `chunkSize` and computes them, in this process (`count: 0`) or through the queue (publishing the
 * policy's weights first as the iteration's version), then joins them in prompt order.
 */
export class ScaleOut {
  /** The last version this attempt published, and its file. */
  private published?: { version: number; file: string };

  private constructor(
    private readonly ctx: ScaleOutContext,
    private readonly cfg: WorkersConfig,
    readonly run: string,
    readonly attempt: string,
    private readonly queue?: { redis: RedisHandle; dispatcher: RolloutDispatcher; weights: string; children: ChildProcess[] },
  ) {}

  static async open(ctx: ScaleOutContext): Promise<ScaleOut> {
    const cfg = ctx.recipe.runtime.workers;
    if (!cfg) throw new Error('runtime.workers is not set');
    const run = runKey(ctx.runDir);
    const attempt = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
    if (cfg.count === 0) return new ScaleOut(ctx, cfg, run, attempt);
    if (!cfg.redis) {
      throw new DiagnosticError({
        code: 'workers/no-redis',
        pointer: '/runtime/workers/redis',
        message: 'runtime.workers sends rollout jobs through Redis, but names no server',
        fix: 'add redis: redis://127.0.0.1:6379 (a running redis-server), or set count: 0 to compute the chunks in this process',
      });
    }
    const redis = await connectRedis(cfg.redis, { pointer: '/runtime/workers/redis' });
    const dispatcher = await RolloutDispatcher.open({ url: cfg.redis, queue: queueBase(ctx.recipe), attempts: cfg.attempts, log: ctx.log }, redis, run, attempt);
    const children: ChildProcess[] = [];
    const split = localThreadSplit(ctx.recipe.runtime);
    for (let i = 0; i < (cfg.count ?? 0); i++) children.push(startLocalWorker(ctx.runDir, cfg.redis, ctx.log, i, split?.worker));
    return new ScaleOut(ctx, cfg, run, attempt, { redis, dispatcher, weights: ctx.resolvePath(cfg.weights), children });
  }

  /** What the manifest records. */
  describe(): Record<string, unknown> {
    return {
      count: this.cfg.count ?? null,
      // the local processes' native-kernel threads when runtime.threads is 0 (null: as the recipe says)
      localThreads: localThreadSplit(this.ctx.recipe.runtime),
      chunkSize: this.cfg.chunkSize,
      offPolicySteps: this.cfg.offPolicySteps,
      queue: this.queue ? queueBase(this.ctx.recipe) : null,
      run: this.run,
      attempt: this.attempt,
      streams: 'per sample: (seed, iteration, prompt index, sample index)',
    };
  }

  /** The rollout of `iteration` over `prompts` with the policy as it is now, which is version `version` (the updates applied so far). */
  async rollout(iteration: number, version: number, prompts: readonly Prompt[], samplesPerPrompt: number, policy: PolicyModel): Promise<ScaledRollout> {
    return (await this.start(iteration, version, prompts, samplesPerPrompt, policy)).result;
  }

  /**
   * Start the rollout of `iteration`: on return, the policy's weights have been published (so the
   * caller may update the policy) and the chunks are on the queue; `result` waits for them. In the
   * trainer's process (`count: 0`) the chunks are computed before this returns. `behaviour`: the
   * chunks bring the sampling policy's log-probs and values too (a rollout used one update later).
   */
  async start(iteration: number, version: number, prompts: readonly Prompt[], samplesPerPrompt: number, policy: PolicyModel, opts: { behaviour?: boolean } = {}): Promise<{ result: Promise<ScaledRollout> }> {
    const chunks = splitPrompts(prompts, this.cfg.chunkSize);
    const base = { run: this.run, attempt: this.attempt, iteration, version, seed: this.ctx.recipe.runtime.seed, samplesPerPrompt, model: this.ctx.runDir, ...(opts.behaviour ? { behaviour: true } : {}) };
    if (!this.queue) {
      const outs: ChunkOutput[] = [];
      for (const c of chunks) outs.push(await computeChunk(this.ctx.parts, { ...base, prompts: c }));
      return { result: Promise.resolve({ ...mergeChunks(outs), publish_s: 0, chunks: chunks.length }) };
    }
    const t0 = performance.now();
    // a version is the weights after that many updates: one already published is the same file
    // (one step off, iterations 0 and 1 both sample version 0)
    const weights = this.published?.version === version ? this.published.file : await publishWeights(this.queue.weights, policy, { run: this.run, attempt: this.attempt, version });
    this.published = { version, file: weights };
    const publish_s = (performance.now() - t0) / 1000;
    const jobs: ChunkJob[] = chunks.map((c, i) => ({ ...base, weights, chunk: i, prompts: c }));
    const dispatcher = this.queue.dispatcher;
    const parent = await dispatcher.submit(iteration, jobs);
    const result = dispatcher.collect(parent, jobs).then((results) => ({ ...mergeChunks(results), publish_s, chunks: chunks.length }));
    // awaited by the caller later; a failure is reported then, not as an unhandled rejection now
    result.catch(() => undefined);
    return { result };
  }

  async close(): Promise<void> {
    if (!this.queue) return;
    for (const c of this.queue.children) c.kill('SIGTERM');
    await this.queue.dispatcher.close();
    await this.queue.redis.quit();
  }
}

/**
 * `rlhf worker <run-dir> --redis <url>` as a child process, its output prefixed and passed on;
 * `threads`: its runtime.threads (localThreadSplit), else the recipe's.
 */
function startLocalWorker(runDir: string, redis: string, log: (line: string) => void, i: number, threads?: number): ChildProcess {
  const cli = path.resolve(__dirname, '..', '..', 'bin', 'rlhf.js');
  const args = [cli, 'worker', runDir, '--redis', redis, '--stop-with-parent', ...(threads !== undefined && threads > 0 ? ['--set', `runtime.threads=${threads}`] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const relay = (d: Buffer) => {
    for (const line of String(d).split('\n')) if (line.trim()) log(`[worker ${i}] ${line}`);
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  return child;
}
