import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DiagnosticError,
  ScaleOut,
  Tokens,
  atomicWriteFileSync,
  definePlugin,
  encodeSafetensors,
  readSafetensors,
  referenceLogprobs,
  writeJsonAtomic,
  type Agent,
  type Environment,
  type Job,
  type JobContext,
  type JobResult,
  type KLController,
  type Metrics,
  type MetricsSink,
  type NamedTensor,
  type OfflineAlgorithm,
  type OnlineAlgorithm,
  type PolicyModel,
  type Prompt,
  type ResolvedRecipe,
  type RewardSet,
  type Rng,
  type RngState,
  type RunDirectory,
  type ScaledRollout,
  type TensorRuntime,
  type Manifest,
} from '@rlhfjs/core';
import { dynamicSampling, type Collected } from './dynamic-sampling';

/** `state.json` of a checkpoint (the format runs written before this file moved also use). */
interface LoopState {
  step: number;
  kl: { value: number } & Record<string, unknown>;
  rng: { rollout: RngState; data: RngState };
  environment: unknown;
  rewardMoments: { count: number; mean: number; m2: number } | null;
}

/** What an online algorithm's loop reads besides the algorithm. */
interface OnlineSlots {
  mode: 'online';
  algorithm: OnlineAlgorithm;
  agent: Agent;
  /** The frozen policy as built, before any update (the KL reference). */
  reference: PolicyModel;
  environment: Environment;
  rewards: RewardSet;
  kl: KLController;
}

interface OfflineSlots {
  mode: 'offline';
  algorithm: OfflineAlgorithm;
}

export interface RLJobParts {
  recipe: ResolvedRecipe;
  runtime: TensorRuntime;
  runDir: RunDirectory;
  policy: PolicyModel;
  /** The run's root random stream; the loop forks its own streams from it. */
  rng: Rng;
  slots: OnlineSlots | OfflineSlots;
  /** Resolves a path of the recipe (relative to the recipe file). */
  resolvePath: (p: string) => string;
}

const SAMPLES_FILE = 'samples.jsonl';
/** In a checkpoint of a run with `runtime.workers.offPolicySteps: 1`: the next iteration's rollout, already made. */
const PENDING_FILE = 'pending-rollout.json';

/**
 * The RL loop: rollout → score → update → KL controller → log → checkpoint. Everything it
 * touches comes from the run's container (through the factory below); it knows no concrete plugin.
 * An offline algorithm (DPO) only steps through its own data: no rollout, rewards or KL controller.
 */
export class RLJob implements Job {
  private readonly rolloutRng: Rng;
  private readonly dataRng: Rng;
  /** `runtime.workers`: the iteration's rollout in chunks, in this process or on workers. */
  private scale: ScaleOut | undefined;
  /** With `offPolicySteps: 1`: the next iteration's rollout, started before this iteration's update. */
  private pending: { iteration: number; prompts: Prompt[]; result: Promise<ScaledRollout> } | undefined;

  constructor(private readonly p: RLJobParts) {
    this.rolloutRng = p.rng.fork('rollout');
    this.dataRng = p.rng.fork('data');
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const { recipe, runDir, slots } = this.p;
    const { metrics, checkpoint } = ctx;
    const total = recipe.runtime.steps;
    const start = ctx.startStep;
    // the samples of steps after the checkpoint being continued from (a killed run's last steps)
    truncateJsonl(runDir.file(SAMPLES_FILE), start);

    let last: Metrics = {};
    try {
      if (slots.mode === 'online' && recipe.runtime.workers) {
        this.scale = await ScaleOut.open({
          recipe,
          parts: { tf: this.p.runtime.tf, agent: slots.agent, reference: slots.reference, rewards: slots.rewards },
          runDir: runDir.path,
          resolvePath: this.p.resolvePath,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        // which scale-out this start of the run used (offPolicySteps changes the numbers)
        const manifest = runDir.readJson<Manifest>('manifest.json');
        runDir.writeJson('manifest.json', { ...manifest, scaleOut: this.scale.describe() });
      }
      for (let step = start; step < total; step++) {
        if (ctx.signal?.aborted) break;
        last = slots.mode === 'online' ? await this.onlineStep(slots, step) : await this.offlineStep(slots.algorithm, step);
        await metrics.log(step, last);
        const every = recipe.runtime.checkpointEvery;
        if ((every > 0 && (step + 1) % every === 0) || step + 1 === total) await checkpoint(step + 1);
      }
    } finally {
      await this.scale?.close();
      if (slots.mode === 'online') await slots.rewards.close();
    }
    const policyDir = runDir.file('final');
    await this.p.policy.save(policyDir);
    return { summary: { steps: total, finalPolicy: policyDir, last } };
  }

  private async onlineStep(slots: OnlineSlots, step: number): Promise<Metrics> {
    const { algorithm, kl } = slots;
    const env = slots.environment;
    const dataRng = this.dataRng;
    const { promptsPerIteration, samplesPerPrompt } = algorithm.batch;

    const t0 = performance.now();
    if (this.scale) return this.scaledStep(slots, step, t0);
    const prompts = env.nextBatch(promptsPerIteration, dataRng);
    let collected = await this.collect(slots, prompts, step, t0);
    const times = collected.times;
    let sampling: Metrics = {};
    const ds = algorithm.batch.dynamicSampling;
    if (ds) {
      const res = await dynamicSampling(collected, ds, samplesPerPrompt, async (n) => {
        const more = await this.collect(slots, env.nextBatch(n, dataRng), step, performance.now());
        for (const k of ['generate', 'reference', 'score'] as const) times[k] += more.times[k];
        return more;
      });
      collected = { ...res.batch, times };
      sampling = res.metrics;
    }
    const { rollout, refLogprobs, samples, combined } = collected;
    const t3 = performance.now();

    const beta = kl.value;
    const res = await algorithm.update({ rollout, scores: combined.scores, refLogprobs, beta, iteration: step });
    const t4 = performance.now();
    kl.update(res.kl, rollout.responseIds.length);

    const genTokens = rollout.responseIds.reduce((a, r) => a + r.length, 0);
    const metrics: Metrics = {
      ...res.metrics,
      ...sampling,
      'score/mean': mean(combined.scores),
      'score/std': std(combined.scores),
      'kl/mean': res.kl,
      'kl/beta': beta,
      'response/length_mean': genTokens / rollout.responseIds.length,
      'perf/generate_s': times.generate,
      'perf/reference_s': times.reference,
      'perf/score_s': times.score,
      'perf/update_s': (t4 - t3) / 1000,
      'perf/step_s': (t4 - t0) / 1000,
      'perf/tokens_per_s': genTokens / times.generate,
    };
    for (const [name, scores] of Object.entries(combined.perSource)) metrics[`reward/${name}`] = mean(scores);
    // a few completions per step, so a run can be read as well as plotted
    const shown = samples.slice(0, 2).map((s, i) => JSON.stringify({ step, prompt: s.prompt, completion: s.completion, score: combined.scores[i] }) + '\n');
    fs.appendFileSync(this.p.runDir.file(SAMPLES_FILE), shown.join(''));
    return metrics;
  }

  /**
   * One round of sampling for `prompts`: each encoded once and sampled samplesPerPrompt times, the
   * reference log-probs of the completions, and their scores. `t0` is when the round began (the
   * prompts' draw), for the timings in seconds.
   */
  private async collect(slots: OnlineSlots, prompts: Prompt[], step: number, t0: number): Promise<Collected & { times: { generate: number; reference: number; score: number } }> {
    const { tf } = this.p.runtime;
    const { algorithm, agent, reference, rewards } = slots;
    const policy = agent.policy;
    const tokenizer = policy.tokenizer;
    const { samplesPerPrompt } = algorithm.batch;
    const maxPrompt = Math.max(1, policy.contextSize - agent.sampling.maxNewTokens);
    const promptIds: number[][] = [];
    const rowsPrompt: typeof prompts = [];
    for (const p of prompts) {
      const ids = policy.encodePrompt(p.text, maxPrompt).ids;
      for (let k = 0; k < samplesPerPrompt; k++) {
        promptIds.push(ids);
        rowsPrompt.push(p);
      }
    }
    const rollout = await policy.generate(promptIds, agent.sampling, this.rolloutRng);
    const t1 = performance.now();

    const refLogprobs = await referenceLogprobs(tf, reference, rollout, tokenizer.padId);
    const t2 = performance.now();

    const samples = rollout.completions.map((completion, i) => ({ prompt: rollout.prompts[i] ?? rowsPrompt[i].text, completion, promptId: rowsPrompt[i].id }));
    const combined = await rewards.score(samples, { step, model: this.p.runDir.path });
    const t3 = performance.now();
    return { rollout, refLogprobs, samples, combined, times: { generate: (t1 - t0) / 1000, reference: (t2 - t1) / 1000, score: (t3 - t2) / 1000 } };
  }

  /**
   * An iteration under `runtime.workers`: the rollout, reference log-probs and raw rewards come from
   * the chunks (one random stream per sample); the rewards are combined here, in prompt order, and
   * the update, KL controller and metrics are those of {@link onlineStep}.
   */
  private async scaledStep(slots: OnlineSlots, step: number, t0: number): Promise<Metrics> {
    const { algorithm, agent, rewards, kl, environment: env } = slots;
    const scale = this.scale!;
    const { promptsPerIteration, samplesPerPrompt } = algorithm.batch;
    // this iteration's rollout: started during the previous iteration (offPolicySteps 1), or now;
    // the policy version is the number of updates applied when it starts
    let current = this.pending?.iteration === step ? this.pending : undefined;
    this.pending = undefined;
    if (!current) {
      const prompts = env.nextBatch(promptsPerIteration, this.dataRng);
      current = { iteration: step, prompts, result: (await scale.start(step, step, prompts, samplesPerPrompt, agent.policy)).result };
    }
    const tNext0 = performance.now();
    if (this.p.recipe.runtime.workers?.offPolicySteps === 1 && step + 1 < this.p.recipe.runtime.steps) {
      // the next iteration's prompts (drawn in the same order as without pipelining) go out with
      // the policy as it is now, before this update; start() returns once its weights are
      // published. Started before this iteration's rollout is awaited, so a worker that finishes
      // this one finds the next one queued. Update t+1 takes its ratio to this policy, so the
      // chunks bring its log-probs and values as well.
      const prompts = env.nextBatch(promptsPerIteration, this.dataRng);
      this.pending = { iteration: step + 1, prompts, result: (await scale.start(step + 1, step, prompts, samplesPerPrompt, agent.policy, { behaviour: true })).result };
    }
    const tNext = performance.now();
    const r = await current.result;
    const t1 = performance.now();
    // the wait for this iteration's rollout, without the start of the next one
    const fanout_s = (t1 - t0 - (tNext - tNext0)) / 1000;
    const { rollout, refLogprobs, behaviour } = r;
    const combined = rewards.combine(r.scores, step, rollout.responseIds.length);
    const samples = rollout.completions.map((completion, i) => ({ prompt: rollout.prompts[i] ?? r.promptTexts[i], completion, promptId: r.promptIds[i] }));
    const t3 = performance.now();

    const beta = kl.value;
    const res = await algorithm.update({ rollout, scores: combined.scores, refLogprobs, beta, iteration: step, ...(behaviour ? { behaviour } : {}) });
    const t4 = performance.now();
    kl.update(res.kl, rollout.responseIds.length);

    const genTokens = rollout.responseIds.reduce((a, x) => a + x.length, 0);
    const metrics: Metrics = {
      ...res.metrics,
      'score/mean': mean(combined.scores),
      'score/std': std(combined.scores),
      'kl/mean': res.kl,
      'kl/beta': beta,
      'response/length_mean': genTokens / rollout.responseIds.length,
      // wall time of the whole fan-out (publication, queue, generation, reference and rewards on the
      // workers), less the start of the next iteration's rollout
      'perf/generate_s': fanout_s,
      // summed over the chunks (on the workers, these overlap)
      'perf/reference_s': r.timings.reference_s,
      // one step off: the sampling policy's own forward pass, in the chunks (0 when not asked)
      'perf/behaviour_s': r.timings.behaviour_s ?? 0,
      'perf/score_s': r.timings.score_s + (t3 - t1) / 1000,
      'perf/publish_s': r.publish_s,
      // the chunks' own compute (generation + reference + rewards), summed over the chunks
      'perf/chunks_compute_s': r.timings.generate_s + r.timings.reference_s + (r.timings.behaviour_s ?? 0) + r.timings.score_s,
      'perf/chunks': r.chunks,
      'perf/next_rollout_start_s': (tNext - tNext0) / 1000,
      'perf/update_s': (t4 - t3) / 1000,
      'perf/step_s': (t4 - t0) / 1000,
      'perf/tokens_per_s': genTokens / fanout_s,
    };
    for (const [name, scores] of Object.entries(combined.perSource)) metrics[`reward/${name}`] = mean(scores);
    const shown = samples.slice(0, 2).map((s, i) => JSON.stringify({ step, prompt: s.prompt, completion: s.completion, score: combined.scores[i] }) + '\n');
    fs.appendFileSync(this.p.runDir.file(SAMPLES_FILE), shown.join(''));
    return metrics;
  }

  private async offlineStep(algorithm: OfflineAlgorithm, step: number): Promise<Metrics> {
    const t0 = performance.now();
    const res = await algorithm.step(step);
    return { ...res.metrics, 'kl/mean': res.kl, 'perf/step_s': (performance.now() - t0) / 1000 };
  }

  /** Policy (as a checkpoint and as raw weights), algorithm state, β, random streams, data position, reward moments. */
  async saveCheckpoint(dir: string, step: number): Promise<void> {
    const { policy, slots } = this.p;
    await policy.save(path.join(dir, 'policy'));
    const host = new Map<string, NamedTensor>();
    for (const [name, t] of policy.namedWeights()) host.set(name, { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: t.shape, data: (await t.data()) as Float32Array | Int32Array });
    atomicWriteFileSync(path.join(dir, 'weights.safetensors'), encodeSafetensors(host));
    fs.mkdirSync(path.join(dir, 'algorithm'));
    await slots.algorithm.saveState(path.join(dir, 'algorithm'));
    const online = slots.mode === 'online' ? slots : undefined;
    const state: LoopState = {
      step,
      kl: online ? online.kl.getState() : { value: 0 },
      rng: { rollout: this.rolloutRng.getState(), data: this.dataRng.getState() },
      environment: online ? online.environment.getState() : null,
      rewardMoments: online ? online.rewards.moments.getState() : null,
    };
    writeJsonAtomic(path.join(dir, 'state.json'), state);
    if (this.pending) {
      // the next iteration's rollout was made by the policy before the last update, which this
      // checkpoint does not hold: it is kept as it came back, so a resumed run uses the same one
      const p = this.pending;
      const result = await p.result;
      this.pending = { ...p, result: Promise.resolve(result) };
      writeJsonAtomic(path.join(dir, PENDING_FILE), { iteration: p.iteration, prompts: p.prompts, result });
    }
  }

  /** Load what {@link saveCheckpoint} wrote into the freshly built components. */
  async loadCheckpoint(dir: string): Promise<void> {
    const { policy, slots } = this.p;
    const { tf } = this.p.runtime;
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as LoopState;
    const { tensors } = readSafetensors(path.join(dir, 'weights.safetensors'));
    const weights = new Map<string, ReturnType<typeof tf.tensor>>();
    for (const [name, t] of tensors) weights.set(name, tf.tensor(t.data, t.shape, t.dtype === 'I32' ? 'int32' : 'float32'));
    policy.loadNamedWeights(weights);
    for (const t of weights.values()) t.dispose();
    await slots.algorithm.loadState(path.join(dir, 'algorithm'));
    if (slots.mode === 'online') {
      slots.kl.setState(state.kl);
      if (state.environment !== null) slots.environment.setState(state.environment);
      if (state.rewardMoments) slots.rewards.moments.setState(state.rewardMoments);
    }
    this.rolloutRng.setState(state.rng.rollout);
    this.dataRng.setState(state.rng.data);
    const pending = path.join(dir, PENDING_FILE);
    if (fs.existsSync(pending)) {
      const p = JSON.parse(fs.readFileSync(pending, 'utf8')) as { iteration: number; prompts: Prompt[]; result: ScaledRollout };
      this.pending = { iteration: p.iteration, prompts: p.prompts, result: Promise.resolve(p.result) };
    }
  }
}

/** The slots an online algorithm's loop reads, besides the job's own `requires`. */
const ONLINE_SLOTS: ReadonlyArray<{ slot: string; token: symbol; kind: string }> = [
  { slot: 'environment', token: Tokens.Environment as symbol, kind: 'environment' },
  { slot: 'rewards', token: Tokens.Rewards as symbol, kind: 'reward' },
  { slot: 'klController', token: Tokens.KLController as symbol, kind: 'kl-controller' },
];

export const rlJobPlugin = definePlugin({
  kind: 'job',
  name: 'rl',
  description:
    'The RL loop: each iteration draws prompts from the environment, samples completions from the policy, scores them with the rewards, updates the policy with the algorithm and β from the KL controller; an offline algorithm (dpo) steps through its own data instead.',
  options: { type: 'object', additionalProperties: false, properties: {} } as const,
  // environment, rewards and klController are needed by online algorithms only: those declare them
  // in their own `requires`, and create() checks them for any online algorithm
  requires: ['agent', 'algorithm'],
  create: ({ container: c, resolvePath }) => {
    const recipe = c.resolve(Tokens.Recipe);
    const algorithm = c.resolve(Tokens.Algorithm);
    const agent = c.resolve(Tokens.Agent);
    const base = { recipe, runtime: c.resolve(Tokens.Runtime), runDir: c.resolve(Tokens.RunDir), policy: agent.policy, rng: c.resolve(Tokens.Rng), resolvePath };
    if (algorithm.mode === 'offline') {
      if (recipe.runtime.workers) {
        throw new DiagnosticError({
          code: 'recipe/workers-offline',
          pointer: '/runtime/workers',
          message: `runtime.workers spreads rollouts over workers, but the offline algorithm "${recipe.algorithm?.use}" makes none`,
          fix: 'remove runtime.workers from this recipe (it applies to online algorithms: ppo, rloo, grpo, reinforce)',
        });
      }
      return new RLJob({ ...base, slots: { mode: 'offline', algorithm } });
    }
    if (recipe.runtime.workers && algorithm.batch.dynamicSampling) {
      // the workers path fans out one fixed batch per iteration; refilling groups would need a second fan-out
      throw new DiagnosticError({
        code: 'recipe/workers-dynamic-sampling',
        pointer: '/algorithm/options/dynamicSampling',
        message: `dynamic sampling (${algorithm.batch.dynamicSampling.mode}) is not available with runtime.workers yet: each iteration's rollout is one fixed fan-out`,
        fix: 'set algorithm.options.dynamicSampling to "off", or remove runtime.workers',
      });
    }
    const missing = ONLINE_SLOTS.filter((s) => !c.isRegistered(s.token));
    if (missing.length) {
      throw new DiagnosticError(
        missing.map((s) => ({
          code: 'recipe/missing-slot',
          pointer: '',
          message: `the rl job with the online algorithm "${recipe.algorithm?.use}" needs the slot "${s.slot}"`,
          fix: `add ${s.slot}:${s.slot === 'rewards' ? ' [ { use: <name> } ]' : ' { use: <name>, options: {...} }'} (rlhf plugins --kind ${s.kind} lists them)`,
        })),
      );
    }
    return new RLJob({
      ...base,
      slots: {
        mode: 'online',
        algorithm,
        agent,
        // resolved now, before a checkpoint is restored into the policy: the reference is the policy as built
        reference: c.resolve(Tokens.Reference),
        environment: c.resolve(Tokens.Environment),
        rewards: c.resolve(Tokens.Rewards),
        kl: c.resolve(Tokens.KLController),
      },
    });
  },
});

/** Keep the lines of a JSONL file whose `step` is before `step`. */
function truncateJsonl(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const kept = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => {
      try {
        return l.trim() !== '' && (JSON.parse(l) as { step: number }).step < step;
      } catch {
        return false;
      }
    });
  atomicWriteFileSync(file, kept.map((l) => l + '\n').join(''));
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

function std(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
}
