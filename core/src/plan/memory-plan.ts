/**
 * The memory plan of a run, worked out from the recipe before any tensor exists: float32 bytes of
 * every weight, gradient, Adam moment, KV cache and activation the RL loop holds at its peak, per
 * backend, and a refusal of a run that cannot fit the backend's limit (the wasm heap stops at
 * 4294901760 bytes, `getHeapMax` of @tensorflow/tfjs-backend-wasm 4.22).
 *
 * With P the policy's parameters, T the trainable ones (adapters + value head with LoRA, P without),
 * R the reward models' parameters, B the minibatch, N the rollout batch (prompts × samples), S the
 * sequence length (the context window, or prompt room + maxNewTokens), L layers, d width, H heads,
 * F the MLP width, V the vocabulary, all in float32 (4 bytes):
 *
 *   static      = 4·(P + R)  +  4·P when the reference is a full copy (not with LoRA)
 *               + 4·T (gradients) + 8·T (Adam's two moments)
 *   training    = 4·[ L·B·S·(14·d + 6·F) + L·3·B·H·S² ]  (saved forward tensors of each block, with their gradients)
 *               + 4·6·B·S·V                               (logits, log-softmax, one-hot, product and their gradients)
 *   generation  = 4·2·(2·L·N·S·d)                         (K and V of every layer, old and new during a concat)
 *               + 4·[ N·S·(4·d + F) + N·H·S² + 3·N·V ]   (one prefill block and the sampled logits)
 *   scoring     = 4·3·B·S·V + 4·B·S·(4·d + F)             (a no-gradient forward chunk: old policy, reference, reward)
 *   peak        = static + max(training, generation, scoring)
 *
 * The coefficients count the tensors the forward pass in plugins/lm/src/model/gpt.ts keeps for its
 * backward pass; bench/lora/memory-plan.js checks the estimate against measured peaks.
 */
import { DiagnosticError } from '../diagnostics';

/** What a model plugin reports of a model's size (agent plugins' `footprint`). */
export interface ModelFootprint {
  /** Every float32 parameter (base + adapters + value head). */
  parameters: number;
  /** The parameters that get gradients and optimiser state. */
  trainableParameters: number;
  nLayers: number;
  dModel: number;
  nHeads: number;
  dMlp: number;
  vocabSize: number;
  contextSize: number;
  /** LoRA on: the KL reference shares the base and copies nothing. */
  lora: boolean;
}

export interface MemoryPlanInput {
  policy: ModelFootprint;
  /** Reward models held beside the policy (inference only). */
  rewards: ModelFootprint[];
  /** Samples per gradient step. */
  minibatchSize: number;
  /** Samples generated per iteration (prompts × samples per prompt). */
  rolloutBatch: number;
  /** Most tokens generated per completion. */
  maxNewTokens: number;
  /** Backend the run uses (the limit depends on it). */
  backend: string;
  /** True when the run keeps a KL reference (online RL, DPO). */
  reference: boolean;
}

export interface MemoryPlan {
  backend: string;
  /** The backend's hard limit on tensor memory in bytes, or null when it has none known here. */
  limitBytes: number | null;
  /** Bytes of each part (static and per phase). */
  parts: Record<string, number>;
  /** The estimated peak of tensor memory. */
  peakBytes: number;
  /** Which phase sets the peak. */
  peakPhase: 'training' | 'generation' | 'scoring';
  fits: boolean;
}

/** The wasm heap's maximum: `getHeapMax()` of @tensorflow/tfjs-backend-wasm 4.22 (65535 pages of 64 KiB). */
export const WASM_HEAP_MAX = 4294901760;

/** The tensor-memory limit of a backend, when one is known. */
export function backendLimit(backend: string): number | null {
  return backend === 'wasm' ? WASM_HEAP_MAX : null;
}

export function planMemory(i: MemoryPlanInput): MemoryPlan {
  const p = i.policy;
  const f32 = 4;
  const S = p.contextSize;
  const { nLayers: L, dModel: d, nHeads: H, dMlp: F, vocabSize: V } = p;
  const B = Math.max(1, i.minibatchSize);
  const N = Math.max(1, i.rolloutBatch);
  const R = i.rewards.reduce((s, r) => s + r.parameters, 0);
  const parts: Record<string, number> = {
    policyWeights: f32 * p.parameters,
    referenceWeights: i.reference && !p.lora ? f32 * p.parameters : 0,
    rewardWeights: f32 * R,
    gradients: f32 * p.trainableParameters,
    adamMoments: 2 * f32 * p.trainableParameters,
  };
  const training = f32 * (L * B * S * (14 * d + 6 * F) + L * 3 * B * H * S * S) + f32 * 6 * B * S * V;
  const generation = f32 * 2 * (2 * L * N * S * d) + f32 * (N * S * (4 * d + F) + N * H * S * S + 3 * N * V);
  let scoring = f32 * 3 * B * S * V + f32 * B * S * (4 * d + F);
  for (const r of i.rewards) scoring = Math.max(scoring, f32 * (3 * B * r.contextSize * r.dModel + B * r.contextSize * (4 * r.dModel + r.dMlp)));
  parts.trainingActivations = training;
  parts.generationKvAndActivations = generation;
  parts.scoringActivations = scoring;
  const fixed = parts.policyWeights + parts.referenceWeights + parts.rewardWeights + parts.gradients + parts.adamMoments;
  const phases = { training, generation, scoring } as const;
  const peakPhase = (Object.keys(phases) as Array<keyof typeof phases>).reduce((a, b) => (phases[b] > phases[a] ? b : a));
  const peakBytes = fixed + phases[peakPhase];
  const limitBytes = backendLimit(i.backend);
  return { backend: i.backend, limitBytes, parts, peakBytes, peakPhase, fits: limitBytes === null || peakBytes <= limitBytes };
}

const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** The plan as lines of text (`rlhf validate --plan`). */
export function formatMemoryPlan(plan: MemoryPlan): string[] {
  const lines = [`memory plan (${plan.backend}): peak ≈ ${MB(plan.peakBytes)} during ${plan.peakPhase}${plan.limitBytes !== null ? ` of a ${MB(plan.limitBytes)} limit${plan.fits ? '' : ' — DOES NOT FIT'}` : ' (no fixed limit on this backend)'}`];
  for (const [k, v] of Object.entries(plan.parts)) lines.push(`  ${k.padEnd(28)} ${MB(v)}`);
  return lines;
}

/** Throw `plan/over-memory` when the plan does not fit its backend's limit, naming the options that bring it down. */
export function assertPlanFits(plan: MemoryPlan, input: MemoryPlanInput): void {
  if (plan.fits) return;
  const hints: string[] = [];
  if (!input.policy.lora) hints.push(`agent.options.lora (e.g. { rank: 16, targetModules: [c_attn] }) drops the reference copy, the gradients and the Adam moments of the frozen base: ${MB(plan.parts.referenceWeights + (plan.parts.gradients + plan.parts.adamMoments))} of ${MB(plan.peakBytes)}`);
  if (plan.peakPhase === 'training' && input.minibatchSize > 1) hints.push(`a smaller algorithm.options.minibatchSize (now ${input.minibatchSize}; training activations are ${MB(plan.parts.trainingActivations)} and scale with it)`);
  if (plan.peakPhase === 'generation') hints.push(`fewer prompts per iteration or a smaller agent.options.sampling.maxNewTokens (the KV cache and prefill take ${MB(plan.parts.generationKvAndActivations)})`);
  hints.push('a backend without this limit (runtime.backend: tensorflow)');
  throw new DiagnosticError({
    code: 'plan/over-memory',
    pointer: '/runtime/backend',
    message: `the run needs about ${MB(plan.peakBytes)} of tensor memory at its peak (${plan.peakPhase}), more than the ${plan.backend} backend's limit of ${MB(plan.limitBytes!)} (${plan.limitBytes} bytes)`,
    fix: `bring it under with: ${hints.join('; or ')} (rlhf validate --plan prints the parts)`,
  });
}
