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
 *   fwd(X)      = 4·[ L·X·S·(12·d + 5·F) + 3·L·X·H·S² ] + 4·5·X·S·V
 *                 (every tensor of a forward pass over X rows: inside tf.tidy nothing is freed
 *                 before the pass ends; per block the LayerNorm, q/k/v, attention and MLP tensors,
 *                 and the logits with their bias, log-softmax and picked log-probs)
 *   training    = 2·fwd(B)               (the saved forward tensors and their gradients)
 *   scoring     = fwd(N) for the policy and the reward models (the reference's forward runs over
 *                 the whole rollout batch at once; the old policy's in chunks of B)
 *   generation  = 4·2·(2·L·N·S·d) + fwd(N)   (K and V of every layer, old and new during a concat, and the prefill)
 *   peak        = static + max(training, generation, scoring)
 *   peak RSS    = peak + 4·max(2·P, 4·T) + 100 MiB  (writing a checkpoint holds a host copy and the
 *                 encoded safetensors file of the weights, 2·4·P, or of Adam's moments, 2·8·T,
 *                 whichever is larger; 100 MiB for Node, the wasm module and code)
 *
 * The coefficients were set from the tensors of plugins/lm/src/model/gpt.ts and matched to the wasm
 * heap's high-water mark of three measured runs; bench/lora/memory-plan.js prints the estimate
 * beside measured peaks (docs/lora.md has the figures).
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
  /** The estimated peak resident memory of the process (tensors, host copies while saving, runtime). */
  rssBytes: number;
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

/** Resident memory of Node, the wasm module and the loaded code before any model (measured: about 100 MiB). */
const RUNTIME_BYTES = 100 * 2 ** 20;

export function planMemory(i: MemoryPlanInput): MemoryPlan {
  const p = i.policy;
  const f32 = 4;
  const S = p.contextSize;
  const { nLayers: L, dModel: d } = p;
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
  const fwd = (m: { nLayers: number; dModel: number; nHeads: number; dMlp: number; vocabSize: number; contextSize: number }, X: number): number => {
    const T = m.contextSize;
    return f32 * (m.nLayers * X * T * (12 * m.dModel + 5 * m.dMlp) + 3 * m.nLayers * X * m.nHeads * T * T) + f32 * 5 * X * T * m.vocabSize;
  };
  const training = 2 * fwd(p, B);
  const generation = f32 * 2 * (2 * L * N * S * d) + fwd(p, N);
  let scoring = fwd(p, N);
  for (const r of i.rewards) scoring = Math.max(scoring, fwd(r, N));
  parts.trainingActivations = training;
  parts.generationKvAndActivations = generation;
  parts.scoringActivations = scoring;
  const fixed = parts.policyWeights + parts.referenceWeights + parts.rewardWeights + parts.gradients + parts.adamMoments;
  const phases = { training, generation, scoring } as const;
  const peakPhase = (Object.keys(phases) as Array<keyof typeof phases>).reduce((a, b) => (phases[b] > phases[a] ? b : a));
  const peakBytes = fixed + phases[peakPhase];
  const limitBytes = backendLimit(i.backend);
  const rssBytes = peakBytes + f32 * Math.max(2 * p.parameters, 4 * p.trainableParameters) + RUNTIME_BYTES;
  return { backend: i.backend, limitBytes, parts, peakBytes, rssBytes, peakPhase, fits: limitBytes === null || peakBytes <= limitBytes };
}

const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** The plan as lines of text (`rlhf validate --plan`). */
export function formatMemoryPlan(plan: MemoryPlan): string[] {
  const lines = [
    `memory plan (${plan.backend}): peak tensor memory ≈ ${MB(plan.peakBytes)} during ${plan.peakPhase}${plan.limitBytes !== null ? ` of a ${MB(plan.limitBytes)} limit${plan.fits ? '' : ' — DOES NOT FIT'}` : ' (no fixed limit on this backend)'}; peak RSS ≈ ${MB(plan.rssBytes)}`,
  ];
  for (const [k, v] of Object.entries(plan.parts)) lines.push(`  ${k.padEnd(28)} ${MB(v)}`);
  return lines;
}

/** Throw `plan/over-memory` when the plan does not fit its backend's limit, naming the options that bring it down. */
export function assertPlanFits(plan: MemoryPlan, input: MemoryPlanInput, file?: string): void {
  if (plan.fits) return;
  const hints: string[] = [];
  if (!input.policy.lora) hints.push(`agent.options.lora (e.g. { rank: 16, targetModules: [c_attn] }) drops the reference copy, the gradients and the Adam moments of the frozen base: ${MB(plan.parts.referenceWeights + (plan.parts.gradients + plan.parts.adamMoments))} of ${MB(plan.peakBytes)}`);
  if (plan.peakPhase === 'training' && input.minibatchSize > 1) hints.push(`a smaller algorithm.options.minibatchSize (now ${input.minibatchSize}; training activations are ${MB(plan.parts.trainingActivations)} and scale with it)`);
  // maxNewTokens does not shorten the worst case: prompts are cut to fill contextSize − maxNewTokens
  if (plan.peakPhase !== 'training' && input.rolloutBatch > 1) hints.push(`fewer samples per iteration (algorithm.options.promptsPerIteration × samplesPerPrompt, now ${input.rolloutBatch}; the ${plan.peakPhase} phase takes ${MB(plan.peakPhase === 'generation' ? plan.parts.generationKvAndActivations : plan.parts.scoringActivations)} and scales with it)`);
  hints.push('a smaller model');
  hints.push('a backend without this limit (runtime.backend: tensorflow)');
  throw new DiagnosticError({
    code: 'plan/over-memory',
    file,
    pointer: '/runtime/backend',
    message: `the run needs about ${MB(plan.peakBytes)} of tensor memory at its peak (${plan.peakPhase}), more than the ${plan.backend} backend's limit of ${MB(plan.limitBytes!)} (${plan.limitBytes} bytes)`,
    fix: `bring it under with: ${hints.join('; or ')} (rlhf validate --plan prints the parts)`,
  });
}
