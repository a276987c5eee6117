import type { Agent, PolicyModel, Rollout } from '../contract/agent';
import type { Prompt } from '../contract/environment';
import type { TF } from '../contract/tensor-runtime';
import type { RewardSet, SourceScores } from '../runner/reward-set';
import { referenceLogprobs, responseForward } from '../runner/pack';
import { sampleStream } from './streams';

/** One prompt of a chunk, with its index in the iteration's batch (which seeds its samples' streams). */
export interface ChunkPrompt {
  index: number;
  text: string;
  id: string;
}

/** A rollout job: a chunk of an iteration's prompts and the policy version to sample them with. */
export interface ChunkJob {
  /** The run (see `runKey`) and this start of it (a resumed run gets a new attempt). */
  run: string;
  attempt: string;
  iteration: number;
  /** The policy version: the weights after `version` updates. */
  version: number;
  /** The weight file of that version, relative to the shared weights folder. */
  weights: string;
  chunk: number;
  seed: number;
  samplesPerPrompt: number;
  prompts: ChunkPrompt[];
  /** What the reward sources are told produced the completions (the trainer's run directory). */
  model: string;
  /**
   * Also the sampling policy's log-probs (and values, with a value head) by the training forward
   * pass: asked for a rollout that the trainer uses one update later (`offPolicySteps: 1`).
   */
  behaviour?: boolean;
}

/** What a chunk gives back: its rows in prompt order (samples of one prompt together), nothing combined yet. */
export interface ChunkOutput {
  rollout: Rollout;
  refLogprobs: number[][];
  /** With `behaviour` asked: the sampling policy's log-probs (and values) of the response tokens. */
  behaviour?: { logprobs: number[][]; values?: number[][] };
  /** Each reward source's raw score of every row (the trainer weights, normalises and clips them). */
  scores: SourceScores;
  /** Row → the prompt it completes (for the samples the trainer shows). */
  promptIds: string[];
  promptTexts: string[];
  timings: { generate_s: number; reference_s: number; behaviour_s: number; score_s: number };
}

/** The result a worker returns: the output and the job's identity, checked by the trainer. */
export interface ChunkResult extends ChunkOutput {
  run: string;
  attempt: string;
  iteration: number;
  version: number;
  chunk: number;
}

/** What computing a chunk needs: the agent (policy and sampling), the KL reference and the reward sources. */
export interface ChunkParts {
  tf: TF;
  agent: Agent;
  reference: PolicyModel;
  rewards: RewardSet;
}

/**
 * A chunk's rollout: each prompt encoded as the RL loop encodes it, sampled `samplesPerPrompt`
 * times with one random stream per sample ({@link sampleStream} of seed, iteration, prompt index
 * and sample index), then the reference's log-probs, the sampling policy's own when the job asks
 * (`behaviour`), and every reward source's raw scores. The same
 * function runs in a worker and in the trainer (`runtime.workers.count: 0`).
 */
export async function computeChunk(parts: ChunkParts, job: Pick<ChunkJob, 'iteration' | 'seed' | 'samplesPerPrompt' | 'prompts' | 'model' | 'behaviour'>): Promise<ChunkOutput> {
  const { tf, agent, reference, rewards } = parts;
  const policy = agent.policy;
  const t0 = performance.now();
  const maxPrompt = Math.max(1, policy.contextSize - agent.sampling.maxNewTokens);
  const promptIds: number[][] = [];
  const rows: ChunkPrompt[] = [];
  const streams = [];
  for (const p of job.prompts) {
    const ids = policy.encodePrompt(p.text, maxPrompt).ids;
    for (let k = 0; k < job.samplesPerPrompt; k++) {
      promptIds.push(ids);
      rows.push(p);
      streams.push(sampleStream(job.seed, job.iteration, p.index, k));
    }
  }
  const rollout = await policy.generate(promptIds, agent.sampling, streams);
  const t1 = performance.now();

  const refLogprobs = await referenceLogprobs(tf, reference, rollout, policy.tokenizer.padId);
  const t2 = performance.now();
  const behaviour = job.behaviour ? await responseForward(tf, policy, rollout, policy.tokenizer.padId, { values: policy.hasValueHead }) : undefined;
  const t2b = performance.now();
  const samples = rollout.completions.map((completion, i) => ({ prompt: rollout.prompts[i] ?? rows[i].text, completion, promptId: rows[i].id }));
  const scores = await rewards.scoreSources(samples, { step: job.iteration, model: job.model });
  const t3 = performance.now();
  return {
    rollout,
    refLogprobs,
    ...(behaviour ? { behaviour } : {}),
    scores,
    promptIds: rows.map((r) => r.id),
    promptTexts: rows.map((r) => r.text),
    timings: { generate_s: (t1 - t0) / 1000, reference_s: (t2 - t1) / 1000, behaviour_s: behaviour ? (t2b - t2) / 1000 : 0, score_s: (t3 - t2b) / 1000 },
  };
}

/** The chunks of an iteration's prompts, in order: prompts [c·size, (c+1)·size). */
export function splitPrompts(prompts: readonly Prompt[], size: number): ChunkPrompt[][] {
  const out: ChunkPrompt[][] = [];
  for (let s = 0; s < prompts.length; s += size) out.push(prompts.slice(s, s + size).map((p, i) => ({ index: s + i, text: p.text, id: p.id })));
  return out;
}

/** The chunks' outputs joined in chunk order: one rollout, its reference log-probs and raw scores. */
export function mergeChunks(outputs: readonly ChunkOutput[]): ChunkOutput {
  const cat = <T>(f: (o: ChunkOutput) => T[]): T[] => outputs.flatMap(f);
  const rollout: Rollout = {
    promptIds: cat((o) => o.rollout.promptIds),
    responseIds: cat((o) => o.rollout.responseIds),
    responseLogprobs: cat((o) => o.rollout.responseLogprobs),
    prompts: cat((o) => o.rollout.prompts),
    completions: cat((o) => o.rollout.completions),
  };
  if (outputs.length && outputs.every((o) => o.rollout.values)) rollout.values = cat((o) => o.rollout.values ?? []);
  const sources = outputs.length ? outputs[0].scores.bySource.length : 0;
  const bySource = Array.from({ length: sources }, (_, s) => cat((o) => o.scores.bySource[s]));
  const details: SourceScores['details'] = {};
  for (const key of new Set(outputs.flatMap((o) => Object.keys(o.scores.details)))) details[key] = cat((o) => o.scores.details[key] ?? o.rollout.responseIds.map(() => null));
  const sum = (k: keyof ChunkOutput['timings']) => outputs.reduce((a, o) => a + (o.timings[k] ?? 0), 0);
  const behaviours = outputs.map((o) => o.behaviour);
  const behaviour = behaviours.length && behaviours.every((b) => b)
    ? { logprobs: behaviours.flatMap((b) => b!.logprobs), ...(behaviours.every((b) => b!.values) ? { values: behaviours.flatMap((b) => b!.values!) } : {}) }
    : undefined;
  return {
    rollout,
    refLogprobs: cat((o) => o.refLogprobs),
    ...(behaviour ? { behaviour } : {}),
    scores: { bySource, details },
    promptIds: cat((o) => o.promptIds),
    promptTexts: cat((o) => o.promptTexts),
    timings: { generate_s: sum('generate_s'), reference_s: sum('reference_s'), behaviour_s: sum('behaviour_s'), score_s: sum('score_s') },
  };
}
