import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { definePlugin, type FactoryContext, type PluginDefinition } from '../plugin/define';
import { disposePacked, packRollout, responseForward, toColumns, type PackedRollout } from '../runner/pack';
import { writeJsonAtomic } from '../runtime/atomic';
import type { Rng, RngState } from '../runtime/rng';
import type { ForwardOutput, PolicyModel, Rollout } from '../contract/agent';
import type { TF } from '../contract/tensor-runtime';
import type { BatchShape, Experience, OnlineAlgorithm, UpdateResult } from '../contract/algorithm';
import { AdamW, type LossTerms } from '../train/adamw';
import { Tokens } from '../container/tokens';
import { batchProblems, resolveBatch, type BatchOptions } from './batch-schema';
import { maskedMean } from './masked';
import { checkExperience } from './experience-check';
import { iterationMetrics } from './metrics';
import { ONLINE_REQUIRES } from './requires';
import { createPtxTerm, ptxMetrics, withPtx, type PtxOptions, type PtxState, type PtxTerm } from './ptx';

export interface MinibatchContext {
  /** Sample indices of this minibatch, in the order of the packed rows. */
  rows: number[];
  packed: PackedRollout;
  /** The policy's differentiable forward pass over the minibatch. */
  out: ForwardOutput;
  /** Per-token numbers of every sample (ragged) laid onto the minibatch's response columns: [B, T-1]. */
  tokens(ragged: readonly number[][]): Tensor2D;
  /** One number per sample of the minibatch: [B]. */
  samples(values: readonly number[]): Tensor1D;
  /** The same, as a [B, 1] column that broadcasts over tokens. */
  column(values: readonly number[]): Tensor2D;
}

export interface EpochResult {
  /** Mean over the minibatch steps taken of every reported value. */
  means: Record<string, number>;
  /** Gradient steps applied. */
  steps: number;
  /** True when a step was vetoed (PPO's approx-KL early stop). */
  stopped: boolean;
}

export interface OnlineCoreSettings {
  plugin: string;
  learningRate: number;
  maxGradNorm: number | null;
  minibatchSize: number;
  epochs: number;
  /** The agent's maxNewTokens, the largest completion length (Dr. GRPO's normaliser, DAPO's L_max); absent without an agent. */
  maxNewTokens?: number;
}

/** The old policy of an iteration: {@link OnlineCore.forwardNoGrad} before any update. */
export interface OldPolicy {
  logprobs: number[][];
  values?: number[][];
}

/** What an algorithm brings to one iteration of {@link OnlineCore.iterate}, once its advantages are known. */
export interface IterationPlan {
  /** The per-token KL that the reward penalty used, reported as `kl/penalty` (absent where the KL is a loss term). */
  penaltyKl?: readonly number[][];
  /** One minibatch's loss terms; the policy's entropy over the response tokens is added to the report. */
  loss(mb: MinibatchContext): LossTerms;
  /** A veto on a step, which ends the epochs (PPO's approx-KL early stop). */
  shouldApply?: (values: Record<string, number>) => boolean;
  /** After the epochs: the algorithm's own metrics (listed after the shared ones), and any state it carries on. */
  metrics(res: EpochResult): Record<string, number>;
}

const STATE_FILE = 'algorithm-state.json';

/**
 * What every online algorithm needs besides its own maths: the no-gradient forward pass over a
 * rollout, epochs over shuffled minibatches with one optimiser step each, and the checkpointed
 * state (optimiser, random stream, the algorithm's own numbers). Algorithms hold one (composition).
 */
export class OnlineCore {
  readonly optimizer: AdamW;
  readonly padId: number;
  /** PPO-ptx's pretraining term, added to every minibatch step's loss when the options ask for it (./ptx.ts). */
  ptx?: PtxTerm;

  constructor(
    readonly tf: TF,
    readonly policy: PolicyModel,
    readonly rng: Rng,
    readonly settings: OnlineCoreSettings,
  ) {
    this.padId = policy.tokenizer.padId;
    this.optimizer = policyOptimizer(tf, policy, settings);
  }

  /**
   * One update: check the experience, the old policy's forward pass (or the behaviour policy's
   * numbers that the experience brings, see {@link Experience.behaviour}), the algorithm's `plan` for the
   * iteration (advantages and minibatch loss, from the old policy), the epochs, then the metrics:
   * the ones every online algorithm reports, the minibatch means, the algorithm's own, and the time.
   * `plan` gets the start time too, for timings of its own.
   */
  async iterate(exp: Experience, want: { values?: boolean }, plan: (old: OldPolicy, t0: number) => IterationPlan): Promise<UpdateResult> {
    const t0 = performance.now();
    const tf = this.tf;
    checkExperience(exp, `algorithm/${this.settings.plugin}`);
    // one step off policy the runner gives the sampling policy's numbers: the ratio is taken to it
    const b = exp.behaviour;
    let old: OldPolicy;
    if (!b) old = await this.forwardNoGrad(exp.rollout, want);
    else if (!want.values) old = { logprobs: b.logprobs };
    else old = { logprobs: b.logprobs, values: b.values ?? (await this.forwardNoGrad(exp.rollout, want)).values };
    const p = plan(old, t0);
    const res = await this.runEpochs(
      exp.rollout,
      exp.iteration,
      { ...want, entropy: true },
      (mb) => {
        const { total, report = {} } = p.loss(mb);
        if (mb.out.entropy) report.entropy = maskedMean(tf, mb.out.entropy, mb.packed.responseMask);
        return this.ptx ? withPtx(tf, this.ptx, total, report) : { total, report };
      },
      p.shouldApply,
    );
    const own = p.metrics(res);
    if (this.ptx) Object.assign(own, ptxMetrics(this.ptx, exp.iteration));
    const { metrics, kl } = iterationMetrics(exp.scores, old.logprobs, exp.refLogprobs, exp.beta, p.penaltyKl);
    return { kl, metrics: { ...metrics, ...res.means, ...own, 'perf/algorithm_s': (performance.now() - t0) / 1000 } };
  }

  /**
   * log π(a_t|s_t) (and V(s_t)) of every response token under the current weights, before any
   * update: the "old" policy of the ratio. Recomputed with the training forward pass (as TRL
   * does) rather than taken from generation, so that temperature or a KV cache cannot bias it.
   * Read asynchronously, as a GPU backend needs.
   */
  async forwardNoGrad(rollout: Pick<Rollout, 'promptIds' | 'responseIds'>, want: { values?: boolean } = {}): Promise<{ logprobs: number[][]; values?: number[][] }> {
    const tf = this.tf;
    const n = rollout.responseIds.length;
    const logprobs: number[][] = [];
    const values: number[][] = [];
    const chunk = Math.max(1, this.settings.minibatchSize);
    for (let s = 0; s < n; s += chunk) {
      const out = await responseForward(tf, this.policy, rollout, this.padId, { values: want.values }, range(s, Math.min(n, s + chunk)));
      if (want.values && !out.values) throw new Error(`${this.settings.plugin}: the policy returned no values; it needs a value head`);
      logprobs.push(...out.logprobs);
      if (out.values) values.push(...out.values);
    }
    return want.values ? { logprobs, values } : { logprobs };
  }

  /**
   * `epochs` passes over the samples in shuffled minibatches; `loss` builds each step's loss from
   * the minibatch's forward pass. A veto from `shouldApply` ends the whole loop.
   */
  async runEpochs(
    rollout: Pick<Rollout, 'promptIds' | 'responseIds'>,
    iteration: number,
    want: { values?: boolean; entropy?: boolean },
    loss: (mb: MinibatchContext) => LossTerms,
    shouldApply?: (values: Record<string, number>) => boolean,
  ): Promise<EpochResult> {
    const tf = this.tf;
    const n = rollout.responseIds.length;
    const size = Math.min(this.settings.minibatchSize, n);
    const sums: Record<string, number> = {};
    let count = 0;
    let steps = 0;
    let stopped = false;
    for (let epoch = 0; epoch < this.settings.epochs && !stopped; epoch++) {
      const order = this.rng.shuffle(range(0, n));
      for (let s = 0; s < n && !stopped; s += size) {
        const rows = order.slice(s, s + size);
        const packed = packRollout(tf, rollout, this.padId, rows);
        try {
          const W = packed.length - 1;
          const res = await this.optimizer.stepAsync(
            () => {
              const out = this.policy.forward(packed.batch, want);
              return loss({
                rows,
                packed,
                out,
                tokens: (ragged) => tf.tensor2d(toColumns(rows.map((i) => ragged[i]), packed), [rows.length, W]),
                samples: (v) => tf.tensor1d(rows.map((i) => v[i])),
                column: (v) => tf.tensor2d(rows.map((i) => v[i]), [rows.length, 1]),
              });
            },
            { step: iteration, shouldApply },
          );
          for (const [k, v] of Object.entries(res.values)) sums[k] = (sums[k] ?? 0) + v;
          count += 1;
          if (res.applied) steps += 1;
          else stopped = true;
        } finally {
          disposePacked(packed);
        }
      }
    }
    const means: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) means[k] = v / Math.max(1, count);
    return { means, steps, stopped };
  }

  async saveState(dir: string, extra: Record<string, unknown>): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    await this.optimizer.save(dir);
    writeJsonAtomic(path.join(dir, STATE_FILE), { algorithm: this.settings.plugin, rng: this.rng.getState(), ...extra, ...(this.ptx ? { ptx: this.ptx.getState() } : {}) });
  }

  /** Restores the optimiser and the random stream; returns the algorithm's own saved fields. */
  async loadState(dir: string): Promise<Record<string, unknown>> {
    const file = path.join(dir, STATE_FILE);
    if (!fs.existsSync(file)) throw new Error(`${this.settings.plugin}: no ${STATE_FILE} in ${dir}`);
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { algorithm: string; rng: RngState } & Record<string, unknown>;
    if (state.algorithm !== this.settings.plugin) {
      throw new Error(`${file} holds the state of ${state.algorithm}, but the recipe's algorithm is ${this.settings.plugin}`);
    }
    await this.optimizer.load(dir);
    this.rng.setState(state.rng);
    if (this.ptx && state.ptx) this.ptx.setState(state.ptx as PtxState);
    return state;
  }
}

/**
 * What every online algorithm object shares: the core it runs on, the batch shape the runner reads,
 * its options, the update ({@link OnlineCore.iterate} with the algorithm's {@link plan}) and its
 * checkpointed state (optimiser, random stream and {@link ownState}).
 */
export abstract class OnlineAlgorithmBase<O> {
  /** Group algorithms compare the samples of one prompt with each other, so they need 2 or more. */
  static readonly minSamplesPerPrompt: number = 1;
  readonly mode = 'online' as const;
  /** Whether {@link plan} needs the old policy's values V(s_t) (a value head). */
  protected readonly oldValues: boolean = false;

  constructor(
    protected readonly core: OnlineCore,
    readonly batch: BatchShape,
    protected readonly s: O,
  ) {}

  update(exp: Experience): Promise<UpdateResult> {
    return this.core.iterate(exp, { values: this.oldValues }, (old, t0) => this.plan(exp, old, t0));
  }

  /** The algorithm's part of an iteration: its advantages from the old policy, its loss and metrics. */
  protected abstract plan(exp: Experience, old: OldPolicy, t0: number): IterationPlan;

  saveState(dir: string): Promise<void> {
    return this.core.saveState(dir, this.ownState());
  }

  async loadState(dir: string): Promise<void> {
    this.restoreOwnState(await this.core.loadState(dir));
  }

  /** Numbers the algorithm carries from one iteration to the next, saved beside the optimiser. */
  protected ownState(): Record<string, unknown> {
    return {};
  }

  /** Takes back what {@link ownState} saved. */
  protected restoreOwnState(state: Record<string, unknown>): void {
    void state;
  }
}

/** The options every online algorithm has: the batch sizes and the optimiser's. */
/** The options every online algorithm on the skeleton has; `ptxCoef`/`ptx` only where its schema spreads {@link ptxProperties} (absent: no ptx term). */
export type OnlineOptions = BatchOptions & { learningRate: number; maxGradNorm: number | null; ptxCoef?: number; ptx?: PtxOptions };

/**
 * Declare an online algorithm plugin: kind `algorithm`, the slots every online loop needs, and a
 * factory that checks the batch sizes, forks the random stream by the plugin's name and builds the
 * {@link OnlineCore} (its optimiser included) that the algorithm's class gets with the batch shape
 * and the options.
 */
export function defineOnlineAlgorithm<O extends OnlineOptions>(def: {
  name: string;
  description: string;
  /** The options schema; `O` is the type derived from it (`OptionsOf`). */
  options: PluginDefinition['options'];
  /** Refuses a policy the algorithm cannot train (checked before the batch sizes). */
  checkPolicy?(policy: PolicyModel, ctx: FactoryContext<O>): void;
  /** The algorithm's class, built with the core, the batch shape and the options. */
  algorithm: { new (core: OnlineCore, batch: BatchShape, options: O): OnlineAlgorithm; readonly minSamplesPerPrompt: number };
}): PluginDefinition<'algorithm', O> {
  const plugin = `algorithm/${def.name}`;
  return definePlugin<'algorithm', PluginDefinition['options'], O>({
    kind: 'algorithm',
    name: def.name,
    requires: ONLINE_REQUIRES,
    description: def.description,
    options: def.options,
    check: (options) => batchProblems(options, plugin, def.algorithm.minSamplesPerPrompt),
    create: (ctx) => {
      const { options, container, pointer } = ctx;
      const { tf } = container.resolve(Tokens.Runtime);
      const policy = container.resolve(Tokens.Policy);
      def.checkPolicy?.(policy, ctx);
      const b = resolveBatch(options, plugin, pointer, def.algorithm.minSamplesPerPrompt);
      const rng = container.resolve(Tokens.Rng).fork(plugin);
      const core = new OnlineCore(tf, policy, rng, { plugin: def.name, learningRate: options.learningRate, maxGradNorm: options.maxGradNorm, minibatchSize: b.minibatchSize, epochs: b.epochs, maxNewTokens: container.isRegistered(Tokens.Agent) ? container.resolve(Tokens.Agent).sampling.maxNewTokens : undefined });
      // its own stream (a fork reads the parent's state without drawing from it), so the other draws stay as they were
      core.ptx = createPtxTerm(tf, policy, container.resolve(Tokens.Rng).fork(`${plugin}/ptx`), options, { resolvePath: ctx.resolvePath, pointer, plugin });
      return new def.algorithm(core, { promptsPerIteration: b.promptsPerIteration, samplesPerPrompt: b.samplesPerPrompt }, options);
    },
  });
}

/**
 * The training kit's AdamW over the policy's trainable variables (no weight decay, as the
 * algorithms have always run), named after the algorithm plugin in its errors.
 */
export function policyOptimizer(tf: TF, policy: PolicyModel, s: { plugin: string; learningRate: number; maxGradNorm: number | null }): AdamW {
  return new AdamW(tf, policy.trainableVariables(), {
    learningRate: s.learningRate,
    maxGradNorm: s.maxGradNorm,
    owner: { plugin: `algorithm/${s.plugin}`, pointer: '/algorithm/options/learningRate' },
  });
}

export function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

/** Repeat each sample's number over its response tokens. */
export function broadcastToTokens(perSample: readonly number[], lengths: readonly number[][]): number[][] {
  return lengths.map((row, i) => row.map(() => perSample[i]));
}

