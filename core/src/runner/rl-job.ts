import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import { Tokens } from '../container/tokens';
import { DiagnosticError } from '../diagnostics';
import type { Agent } from '../contract/agent';
import type { Algorithm, Metrics, OnlineAlgorithm } from '../contract/algorithm';
import type { Job, JobContext, JobResult } from '../contract/job';
import { Rng, type RngState } from '../runtime/rng';
import { RunDirectory, atomicWriteFileSync, writeJsonAtomic } from '../runtime/run-dir';
import { encodeSafetensors, readSafetensors, type NamedTensor } from '../runtime/safetensors';
import { disposePacked, packRollout, responseColumns } from './pack';
import { Progress } from './progress';
import type { RewardSet } from './reward-set';

interface LoopState {
  step: number;
  kl: { value: number } & Record<string, unknown>;
  rng: { rollout: RngState; data: RngState };
  environment: unknown;
  rewardMoments: { count: number; mean: number; m2: number } | null;
}


/**
 * The RL loop: rollout → score → update → KL controller → log → checkpoint. Everything it
 * touches comes from the run's container; it knows no concrete plugin.
 */
export class RLJob implements Job {
  async run(ctx: JobContext): Promise<JobResult> {
    const c = ctx.container;
    const recipe = c.resolve(Tokens.Recipe);
    const runDir = c.resolve(Tokens.RunDir);
    const algorithm = c.resolve(Tokens.Algorithm);
    const loggers = c.resolve(Tokens.Loggers);
    const root = c.resolve(Tokens.Rng);
    const rolloutRng = root.fork('rollout');
    const dataRng = root.fork('data');
    const total = recipe.runtime.steps;

    let start = 0;
    if (ctx.resume) start = await this.restore(c, runDir, rolloutRng, dataRng);
    for (const l of loggers) await l.start?.({ runDir: runDir.path, totalSteps: total, startStep: start });
    const progress = new Progress({ total, start, label: recipe.name });

    let last: Metrics = {};
    try {
      for (let step = start; step < total; step++) {
        if (ctx.signal?.aborted) break;
        last = algorithm.mode === 'online' ? await this.onlineStep(c, algorithm, step, rolloutRng, dataRng, runDir) : await this.offlineStep(algorithm, step);
        runDir.appendMetrics(step, last);
        for (const l of loggers) await l.log(step, last);
        progress.update(step, last);
        const every = recipe.runtime.checkpointEvery;
        if ((every > 0 && (step + 1) % every === 0) || step + 1 === total) {
          const dir = await this.checkpoint(c, runDir, step + 1, rolloutRng, dataRng);
          for (const l of loggers) await l.event?.('checkpoint', { step: step + 1, dir });
        }
      }
    } catch (err) {
      const ck = runDir.latestCheckpoint();
      for (const l of loggers) await l.event?.('failed', { message: (err as Error).message, lastCheckpoint: ck?.dir ?? null });
      if (DiagnosticError.is(err) && ck) err.diagnostics[0].fix = `${err.diagnostics[0].fix ?? ''} The last good checkpoint is ${ck.dir} (step ${ck.step}); resume with rlhf train --resume ${runDir.path}`.trim();
      throw err;
    } finally {
      for (const l of loggers) await l.close?.();
      if (c.isRegistered(Tokens.Rewards)) await c.resolve(Tokens.Rewards).close();
    }
    const policyDir = runDir.file('final');
    if (c.isRegistered(Tokens.Policy)) await c.resolve(Tokens.Policy).save(policyDir);
    return { summary: { steps: total, finalPolicy: policyDir, last } };
  }

  private async onlineStep(c: DependencyContainer, algorithm: OnlineAlgorithm, step: number, rolloutRng: Rng, dataRng: Rng, runDir: RunDirectory): Promise<Metrics> {
    const { tf } = c.resolve(Tokens.Runtime);
    const agent = c.resolve<Agent>(Tokens.Agent);
    const policy = agent.policy;
    const tokenizer = policy.tokenizer;
    const reference = c.resolve(Tokens.Reference);
    const env = c.resolve(Tokens.Environment);
    const rewards = c.resolve<RewardSet>(Tokens.Rewards);
    const kl = c.resolve(Tokens.KLController);
    const { promptsPerIteration, samplesPerPrompt } = algorithm.batch;

    const t0 = performance.now();
    const prompts = env.nextBatch(promptsPerIteration, dataRng);
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
    const rollout = await policy.generate(promptIds, agent.sampling, rolloutRng);
    const t1 = performance.now();

    const packed = packRollout(tf, rollout, tokenizer.padId);
    let refLogprobs: number[][];
    try {
      const lp = tf.tidy(() => reference.forward(packed.batch).logprobs);
      refLogprobs = responseColumns((await lp.array()) as number[][], packed);
      lp.dispose();
    } finally {
      disposePacked(packed);
    }
    const t2 = performance.now();

    const samples = rollout.completions.map((completion, i) => ({ prompt: rollout.prompts[i] ?? rowsPrompt[i].text, completion, promptId: rowsPrompt[i].id }));
    const combined = await rewards.score(samples, { step, model: runDir.path });
    const t3 = performance.now();

    const beta = kl.value;
    const res = await algorithm.update({ rollout, scores: combined.scores, refLogprobs, beta, iteration: step });
    const t4 = performance.now();
    for (const [k, v] of Object.entries(res.metrics)) {
      if ((k.startsWith('loss/') || k === 'kl/mean') && !Number.isFinite(v)) {
        throw new DiagnosticError({ code: 'train/non-finite-loss', message: `${k} is ${v} at iteration ${step}`, fix: 'lower the learning rate or enable gradient clipping' }, { exitCode: 1 });
      }
    }
    kl.update(res.kl, rollout.responseIds.length);

    const genTokens = rollout.responseIds.reduce((a, r) => a + r.length, 0);
    const metrics: Metrics = {
      ...res.metrics,
      'score/mean': mean(combined.scores),
      'score/std': std(combined.scores),
      'kl/mean': res.kl,
      'kl/beta': beta,
      'response/length_mean': genTokens / rollout.responseIds.length,
      'perf/generate_s': (t1 - t0) / 1000,
      'perf/reference_s': (t2 - t1) / 1000,
      'perf/score_s': (t3 - t2) / 1000,
      'perf/update_s': (t4 - t3) / 1000,
      'perf/step_s': (t4 - t0) / 1000,
      'perf/tokens_per_s': genTokens / ((t1 - t0) / 1000),
    };
    for (const [name, scores] of Object.entries(combined.perSource)) metrics[`reward/${name}`] = mean(scores);
    // a few completions per step, so a run can be read as well as plotted
    const shown = samples.slice(0, 2).map((s, i) => JSON.stringify({ step, prompt: s.prompt, completion: s.completion, score: combined.scores[i] }) + '\n');
    fs.appendFileSync(runDir.file('samples.jsonl'), shown.join(''));
    return metrics;
  }

  private async offlineStep(algorithm: Algorithm & { mode: 'offline' }, step: number): Promise<Metrics> {
    const t0 = performance.now();
    const res = await algorithm.step(step);
    for (const [k, v] of Object.entries(res.metrics)) {
      if (k.startsWith('loss/') && !Number.isFinite(v)) throw new DiagnosticError({ code: 'train/non-finite-loss', message: `${k} is ${v} at iteration ${step}`, fix: 'lower the learning rate' }, { exitCode: 1 });
    }
    return { ...res.metrics, 'kl/mean': res.kl, 'perf/step_s': (performance.now() - t0) / 1000 };
  }

  private async checkpoint(c: DependencyContainer, runDir: RunDirectory, step: number, rolloutRng: Rng, dataRng: Rng): Promise<string> {
    const recipe = c.resolve(Tokens.Recipe);
    return runDir.writeCheckpoint(
      step,
      async (dir) => {
        if (c.isRegistered(Tokens.Policy)) {
          const policy = c.resolve(Tokens.Policy);
          await policy.save(path.join(dir, 'policy'));
          const host = new Map<string, NamedTensor>();
          for (const [name, t] of policy.namedWeights()) host.set(name, { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: t.shape, data: (await t.data()) as Float32Array | Int32Array });
          atomicWriteFileSync(path.join(dir, 'weights.safetensors'), encodeSafetensors(host));
        }
        const algorithm = c.resolve(Tokens.Algorithm);
        fs.mkdirSync(path.join(dir, 'algorithm'));
        await algorithm.saveState(path.join(dir, 'algorithm'));
        const state: LoopState = {
          step,
          kl: c.isRegistered(Tokens.KLController) ? c.resolve(Tokens.KLController).getState() : { value: 0 },
          rng: { rollout: rolloutRng.getState(), data: dataRng.getState() },
          environment: c.isRegistered(Tokens.Environment) ? c.resolve(Tokens.Environment).getState() : null,
          rewardMoments: c.isRegistered(Tokens.Rewards) ? c.resolve<RewardSet>(Tokens.Rewards).moments.getState() : null,
        };
        writeJsonAtomic(path.join(dir, 'state.json'), state);
      },
      recipe.runtime.keepCheckpoints,
    );
  }

  /** Load the last checkpoint into the freshly built components; returns the step to continue from. */
  private async restore(c: DependencyContainer, runDir: RunDirectory, rolloutRng: Rng, dataRng: Rng): Promise<number> {
    const ck = runDir.latestCheckpoint();
    if (!ck) {
      runDir.truncateMetrics(0);
      return 0;
    }
    const state = JSON.parse(fs.readFileSync(path.join(ck.dir, 'state.json'), 'utf8')) as LoopState;
    const { tf } = c.resolve(Tokens.Runtime);
    if (c.isRegistered(Tokens.Policy)) {
      const { tensors } = readSafetensors(path.join(ck.dir, 'weights.safetensors'));
      const weights = new Map<string, ReturnType<typeof tf.tensor>>();
      for (const [name, t] of tensors) weights.set(name, tf.tensor(t.data, t.shape, t.dtype === 'I32' ? 'int32' : 'float32'));
      c.resolve(Tokens.Policy).loadNamedWeights(weights);
      for (const t of weights.values()) t.dispose();
    }
    await c.resolve(Tokens.Algorithm).loadState(path.join(ck.dir, 'algorithm'));
    if (c.isRegistered(Tokens.KLController)) c.resolve(Tokens.KLController).setState(state.kl);
    if (c.isRegistered(Tokens.Environment) && state.environment !== null) c.resolve(Tokens.Environment).setState(state.environment);
    if (c.isRegistered(Tokens.Rewards) && state.rewardMoments) c.resolve<RewardSet>(Tokens.Rewards).moments.setState(state.rewardMoments);
    rolloutRng.setState(state.rng.rollout);
    dataRng.setState(state.rng.data);
    runDir.truncateMetrics(state.step);
    truncateJsonl(runDir.file('samples.jsonl'), state.step);
    return state.step;
  }
}

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

