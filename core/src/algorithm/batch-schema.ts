import { DiagnosticError } from '../diagnostics';
import type { BatchShape } from '../contract/algorithm';
import type { OptionsOf, PluginCheckProblem } from '../plugin/define';
import { KL_ESTIMATORS } from './kl-estimators';

/**
 * The batch-size words, defined once and used by every algorithm (spread into each options
 * schema). A "sample" is one completion of one prompt.
 */
export const batchProperties = {
  promptsPerIteration: {
    type: 'integer',
    minimum: 1,
    default: 16,
    description:
      'Distinct prompts drawn from the environment per iteration. Samples per iteration = promptsPerIteration × samplesPerPrompt.',
  },
  samplesPerPrompt: {
    type: 'integer',
    minimum: 1,
    default: 1,
    description: 'Completions sampled per prompt; the samples of one prompt form a group (RLOO and GRPO need at least 2).',
  },
  minibatchSize: {
    type: 'integer',
    minimum: 1,
    description:
      'Samples (completions) per gradient step. Must divide promptsPerIteration × samplesPerPrompt. Leave it out to take all samples of the iteration in one step.',
  },
  epochs: {
    type: 'integer',
    minimum: 1,
    default: 1,
    description: 'Passes over the samples of one iteration, each in a new random order of minibatches.',
  },
} as const;

/** Shared optimiser settings (also one definition for every algorithm). */
export const optimizerProperties = {
  maxGradNorm: {
    type: ['number', 'null'],
    exclusiveMinimum: 0,
    default: 1,
    description: 'Clip gradients to this global L2 norm before each Adam step; null turns clipping off.',
  },
} as const;

/** The per-token KL estimates an algorithm may use, as its option descriptions state them. */
export const KL_ESTIMATOR_FORMULAS = 'k1 = log π − log π_ref, abs = |k1|, k2 (= mse) = ½·k1², k3 = (r−1) − log r with r = π_ref/π';

/** The KL estimator of a penalty β·Σ_t KL_t in the sequence reward (REINFORCE and RLOO). */
export const sequencePenaltyKlEstimator = {
  type: 'string',
  enum: KL_ESTIMATORS,
  default: 'k1',
  description: `Per-token KL estimate summed into the sequence penalty β·Σ_t KL_t: ${KL_ESTIMATOR_FORMULAS}.`,
} as const;

/** The batch options of an algorithm after validation (derived from {@link batchProperties}). */
export type BatchOptions = OptionsOf<{ type: 'object'; additionalProperties: false; properties: typeof batchProperties }>;

/**
 * What is wrong with the batch sizes that the schema cannot say: too few samples per prompt for a
 * group algorithm, a minibatch that does not divide the samples of an iteration. The algorithms'
 * validate-time `check`, and {@link resolveBatch} at build time.
 */
export function batchProblems(o: BatchOptions, plugin: string, minSamplesPerPrompt = 1): PluginCheckProblem[] {
  const problems: PluginCheckProblem[] = [];
  const samples = o.promptsPerIteration * o.samplesPerPrompt;
  if (o.samplesPerPrompt < minSamplesPerPrompt) {
    problems.push({
      option: '/samplesPerPrompt',
      message: `samplesPerPrompt is ${o.samplesPerPrompt}, but ${plugin} compares the samples of one prompt with each other`,
      fix: `set samplesPerPrompt to ${minSamplesPerPrompt} or more (4 is common)`,
    });
  }
  const minibatchSize = o.minibatchSize ?? samples;
  if (samples % minibatchSize !== 0) {
    problems.push({
      option: '/minibatchSize',
      message: `minibatchSize ${minibatchSize} does not divide the ${samples} samples of an iteration (promptsPerIteration ${o.promptsPerIteration} × samplesPerPrompt ${o.samplesPerPrompt})`,
      fix: `choose a divisor of ${samples} (e.g. ${largestDivisorAtMost(samples, minibatchSize)}) or leave minibatchSize out`,
    });
  }
  return problems;
}

/** The runner-facing shape, plus the resolved minibatch size; throws the first of {@link batchProblems}. */
export function resolveBatch(o: BatchOptions, plugin: string, pointer: string, minSamplesPerPrompt = 1): BatchShape & { minibatchSize: number; epochs: number; samples: number } {
  const [problem] = batchProblems(o, plugin, minSamplesPerPrompt);
  if (problem) throw new DiagnosticError({ code: 'recipe/invalid-option', message: problem.message, fix: problem.fix, plugin, pointer: `${pointer}/options${problem.option}` });
  const samples = o.promptsPerIteration * o.samplesPerPrompt;
  return { promptsPerIteration: o.promptsPerIteration, samplesPerPrompt: o.samplesPerPrompt, minibatchSize: o.minibatchSize ?? samples, epochs: o.epochs, samples };
}

function largestDivisorAtMost(n: number, k: number): number {
  for (let d = Math.min(n, k); d > 1; d--) if (n % d === 0) return d;
  return 1;
}
