/**
 * Scale-out (runtime.workers): the same run computed in the trainer's process (count 0) and by 1,
 * 2 and 3 `rlhf worker` processes on a Redis queue gives identical metrics.jsonl (timing keys
 * excluded); a worker SIGKILLed mid-job has its chunk handed to another by BullMQ's stalled-job
 * recovery, and a trainer SIGKILLed after a checkpoint resumes; both end with the same metrics.
 * Needs Debian's redis-server (CI installs it); skipped with a note when it is absent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { RolloutDispatcher, attemptKey, compareMetrics, connectRedis, queueNames, readMetricsFile } from '@rlhfjs/core';
import { killAfterCheckpoint, latestStep, makeRlProject, rlhfAsync, rlhfSync } from './rl-project';
import { findRedisServer, startRedis } from '../helpers/redis';

jest.setTimeout(300_000);

const REDIS = findRedisServer();
if (!REDIS) console.warn('skipping the scale-out (runtime.workers) tests: redis-server is not installed (apt-get install redis-server)');
const maybe = REDIS ? describe : describe.skip;

const STEPS = 3;

maybe('runtime.workers on BullMQ and Redis', () => {
  let project: ReturnType<typeof makeRlProject>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const workers: Array<{ child: ChildProcess; log: string[] }> = [];

  beforeAll(async () => {
    redis = await startRedis(REDIS!);
    project = makeRlProject({ steps: STEPS, checkpointEvery: 1 });
    const base = fs.readFileSync(path.join(project.dir, 'tiny-ppo.yaml'), 'utf8');
    // 6 prompts × 2 samples per iteration, 2 prompts per rollout job: 3 jobs an iteration; short
    // BullMQ locks so that a killed worker's job is found stalled within a second or two
    const recipe = base
      .replace('name: tiny-ppo', 'name: tiny-workers')
      .replace('promptsPerIteration: 4, samplesPerPrompt: 1', 'promptsPerIteration: 6, samplesPerPrompt: 2')
      .replace(/runtime: \{ (.*) \}\n/, `runtime: { $1, workers: { redis: "${redis.url}", chunkSize: 2, lockDurationMs: 1500, stalledIntervalMs: 500, maxStalledCount: 3 } }\n`);
    expect(recipe).toContain('workers: { redis');
    project.write('tiny-workers.yaml', recipe);
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await redis?.stop();
    project?.cleanup();
  });

  const metrics = (run: string) => readMetricsFile(path.join(project.dir, run, 'metrics.jsonl'));

  /** Start `rlhf worker` and resolve once it says it takes jobs. */
  async function startWorker(extra: string[] = []): Promise<{ child: ChildProcess; log: string[] }> {
    const child = rlhfAsync(['worker', 'tiny-workers.yaml', ...extra], project.dir);
    const w = { child, log: [] as string[] };
    workers.push(w);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += String(d);
        if (out.includes('taking rollout jobs')) resolve();
      });
      child.stderr!.on('data', (d) => w.log.push(...String(d).split('\n').filter(Boolean)));
      child.on('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready: ${w.log.join('\n')}`)));
    });
    return w;
  }

  /** `rlhf train` as a child process (the event loop stays free to read the workers' output). */
  const train = async (out: string, set: string[] = []) => {
    const child = rlhfAsync(['train', 'tiny-workers.yaml', '--out', out, ...set.flatMap((s) => ['--set', s])], project.dir);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    if (code !== 0) throw new Error(`rlhf train ${out} failed (${code}): ${stderr}`);
    lastStderr = stderr;
    return metrics(out);
  };
  let lastStderr = '';
  /** Which workers took a job of the run whose key starts with the run folder's name. */
  const served = (run: string) => workers.filter((w) => w.log.some((l) => l.startsWith('done job') && l.includes(`${path.basename(run)}-`)));

  test('0 (in-process), 1, 2 and 3 workers give identical metrics', async () => {
    const inProcess = await train('runs/w0', ['runtime.workers.count=0']);
    expect(inProcess.map((r) => r.step)).toEqual([0, 1, 2]);
    for (const key of ['score/mean', 'kl/mean', 'loss/policy', 'loss/value']) expect(Number.isFinite(inProcess[2][key] as number)).toBe(true);

    const runs: Record<string, ReturnType<typeof metrics>> = {};
    for (const n of [1, 2, 3]) {
      await startWorker();
      runs[n] = await train(`runs/w${n}`);
      const cmp = compareMetrics(inProcess, runs[n]);
      console.log(`${n} worker(s) vs in-process: ${JSON.stringify(cmp)}; jobs taken by ${served(`runs/w${n}`).length} worker(s)`);
      expect(cmp).toEqual({ identical: true, stepsCompared: STEPS });
    }
    // the 3-worker run really was shared: 9 jobs went to more than one process
    expect(served('runs/w3').length).toBeGreaterThanOrEqual(2);

    // the scale-out streams are not the default's single stream: the same recipe without workers differs
    const plain = rlhfSync(['train', 'tiny-ppo.yaml', '--out', 'runs/plain', '--set', 'algorithm.options.promptsPerIteration=6', '--set', 'algorithm.options.samplesPerPrompt=2', '--set', `runtime.steps=${STEPS}`], project.dir);
    expect(plain.code).toBe(0);
    expect(compareMetrics(inProcess, metrics('runs/plain')).identical).toBe(false);
  });

  test('count 2: the trainer starts two local workers itself, and stops them at the end', async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
    const rows = await train('runs/local2', ['runtime.workers.count=2']);
    expect(compareMetrics(metrics('runs/w0'), rows)).toEqual({ identical: true, stepsCompared: STEPS });
    // the jobs were done by the trainer's own workers, whose output it relays
    expect(lastStderr).toMatch(/\[worker [01]\] done job local2-/);
  });

  test('a worker SIGKILLed mid-job: another takes its chunk, and the metrics are unchanged', async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
    const victim = await startWorker();
    // the run starts with only the victim, which is killed as it starts its first job
    const trainer = rlhfAsync(['train', 'tiny-workers.yaml', '--out', 'runs/killed-worker'], project.dir);
    let trainerErr = '';
    trainer.stderr!.on('data', (d) => (trainerErr += String(d)));
    const trainerDone = new Promise<number>((resolve) => trainer.on('exit', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve) => {
      victim.child.stderr!.on('data', (d) => {
        if (String(d).includes('start job')) {
          victim.child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise<void>((resolve) => victim.child.on('exit', () => resolve()));
    expect(victim.log.some((l) => l.startsWith('done job'))).toBe(false);
    const rescuer = await startWorker();
    const code = await trainerDone;
    expect(trainerErr).not.toMatch(/error/i);
    expect(code).toBe(0);
    expect(rescuer.log.some((l) => /stalled/.test(l))).toBe(true);
    const cmp = compareMetrics(metrics('runs/w0'), metrics('runs/killed-worker'));
    console.log(`after a worker was killed mid-job: ${JSON.stringify(cmp)}; rescuer: ${rescuer.log.filter((l) => /stalled/.test(l)).join(' | ')}`);
    expect(cmp).toEqual({ identical: true, stepsCompared: STEPS });
  });

  test('a trainer SIGKILLed after a checkpoint resumes with --resume and ends with the same metrics', async () => {
    const dir = path.join(project.dir, 'runs/killed-trainer');
    await killAfterCheckpoint(['train', 'tiny-workers.yaml', '--out', 'runs/killed-trainer'], project.dir, dir, 1);
    const at = latestStep(dir);
    expect(at).toBeGreaterThanOrEqual(1);
    expect(at).toBeLessThan(STEPS);
    const r = rlhfSync(['train', '--resume', 'runs/killed-trainer'], project.dir);
    expect(r.code).toBe(0);
    const cmp = compareMetrics(metrics('runs/w0'), metrics('runs/killed-trainer'));
    console.log(`trainer killed after step ${at} and resumed: ${JSON.stringify(cmp)}`);
    expect(cmp).toEqual({ identical: true, stepsCompared: STEPS });
  });

  test('offPolicySteps 1: the same numbers in process and on workers, one update behind from step 1, and a resume mid-pipeline', async () => {
    const off = ['runtime.workers.offPolicySteps=1'];
    const inProcess = await train('runs/off0', [...off, 'runtime.workers.count=0']);
    const onWorkers = await train('runs/off2', [...off, 'runtime.workers.count=2']);
    expect(compareMetrics(inProcess, onWorkers)).toEqual({ identical: true, stepsCompared: STEPS });
    // step 0 samples the starting policy either way; step 1 learns from samples of the policy before update 0
    const sync = metrics('runs/w0');
    const cmp = compareMetrics(sync, inProcess);
    expect(cmp.identical).toBe(false);
    expect(cmp.first?.step).toBe(1);
    // from step 1 the chunks bring the sampling policy's log-probs and values (the ratio's π_old);
    // step 0's rollout is the policy being updated, which the update recomputes as synchronously
    const worked = metrics('runs/off2').filter((r) => r.step !== undefined).map((r) => (r['perf/behaviour_s'] as number) > 0);
    expect(worked).toEqual(Array.from({ length: STEPS }, (_, i) => i > 0));
    const manifest = JSON.parse(fs.readFileSync(path.join(project.dir, 'runs/off2/manifest.json'), 'utf8'));
    expect(manifest.scaleOut).toMatchObject({ offPolicySteps: 1, count: 2, chunkSize: 2 });
    // runtime.threads is 0: the trainer and its 2 workers compute at once and share the cores
    const share = Math.max(1, Math.floor(os.availableParallelism() / 3));
    expect(manifest.scaleOut.localThreads).toEqual({ trainer: share, worker: share });

    const dir = path.join(project.dir, 'runs/off-killed');
    await killAfterCheckpoint(['train', 'tiny-workers.yaml', '--out', 'runs/off-killed', '--set', off[0], '--set', 'runtime.workers.count=2'], project.dir, dir, 1);
    const at = latestStep(dir);
    expect(at).toBeLessThan(STEPS);
    // the killed trainer's own workers notice it is gone and stop
    const orphans = () => spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`worker ${dir}`));
    for (let i = 0; i < 100 && orphans().length; i++) await new Promise((res) => setTimeout(res, 100));
    expect(orphans()).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'checkpoints', `step-${String(at).padStart(6, '0')}`, 'pending-rollout.json'))).toBe(true);
    const r = rlhfSync(['train', '--resume', 'runs/off-killed'], project.dir);
    expect(r.code).toBe(0);
    expect(compareMetrics(inProcess, metrics('runs/off-killed'))).toEqual({ identical: true, stepsCompared: STEPS });
  });

  test('a worker that cannot load the weight version fails its job with a message, and the trainer stops naming it', async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
    // a worker that reads another (empty) weights folder than the trainer writes
    fs.mkdirSync(path.join(project.dir, 'elsewhere'));
    await startWorker(['--weights', 'elsewhere']);
    const child = rlhfAsync(['train', 'tiny-workers.yaml', '--out', 'runs/bad-weights', '--set', 'runtime.workers.attempts=2'], project.dir);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    if (code !== 1) console.log(stderr);
    expect(code).toBe(1);
    expect(stderr).toContain('a rollout job of iteration 0 failed on the workers after 2 tries');
    expect(stderr).toContain(`cannot load policy version 0 of run bad-weights-`);
    expect(stderr).toContain(path.join(project.dir, 'elsewhere', 'bad-weights-'));
  });

  test('jobs of an earlier start of a run: queued ones are removed by the new start, a held one is discarded by its worker', async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
    const { Queue } = require('bullmq') as typeof import('bullmq');
    const redisClient = await connectRedis(redis.url);
    const names = queueNames('rlhf-tiny-workers');
    const rollout = new Queue(names.rollout, { connection: redisClient.connection as never });
    try {
      // no worker runs: two jobs of attempt "old" of run "r" wait; a new start (attempt "new") removes them
      for (const c of [0, 1]) await rollout.add('rollout', { run: 'r', attempt: 'old', iteration: 0, chunk: c }, { jobId: `r.old.0.${c}` });
      const d = await RolloutDispatcher.open({ url: redis.url, queue: 'rlhf-tiny-workers', attempts: 1 }, redisClient, 'r', 'new');
      await d.close();
      expect(await rollout.getJob('r.old.0.0')).toBeUndefined();
      expect(await rollout.getJob('r.old.0.1')).toBeUndefined();
      // a job of attempt "old" that a worker takes anyway is answered stale, with no work
      const job = await rollout.add('rollout', { run: 'r', attempt: 'old', iteration: 1, chunk: 0 }, { jobId: 'r.old.1.0' });
      const w = await startWorker();
      for (let i = 0; i < 200 && (await job.getState()) !== 'completed'; i++) await new Promise((res) => setTimeout(res, 50));
      expect((await rollout.getJob('r.old.1.0'))?.returnvalue).toEqual({ stale: true });
      expect(await redisClient.get(attemptKey('rlhf-tiny-workers', 'r'))).toBe('new');
      expect(w.log.some((l) => l.startsWith('discarded job r.old.1.0: attempt old of run r is not its current one (new)'))).toBe(true);
    } finally {
      await rollout.close();
      await redisClient.quit();
    }
  });

  test('Redis unreachable: a clear error naming the URL, after bounded retries', async () => {
    const r = rlhfSync(['train', 'tiny-workers.yaml', '--out', 'runs/no-redis', '--set', 'runtime.workers.redis=redis://127.0.0.1:1'], project.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1 after 5 tries');
  });
});
