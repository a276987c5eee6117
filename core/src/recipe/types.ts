import type { BackendChoice } from '../contract/tensor-runtime';

/** A slot that names a plugin: `{ use, options }`. */
export interface SlotRef {
  use: string;
  options: Record<string, unknown>;
}

export interface RewardRef extends SlotRef {
  /** Multiplies this source's score before the sources are summed. */
  weight: number;
  /** Label in metrics (`score/<name>`); defaults to `use`, made unique with an index. */
  name: string;
}

export interface RewardProcessing {
  /** Divide the combined score by a running standard deviation and subtract a running mean. */
  normalize: boolean;
  /** Clip the combined (possibly normalised) score to [-clip, clip]; null for none. */
  clip: number | null;
  /** Control runs: permute the combined scores within each batch (seeded by runtime.seed and the step). */
  shuffle: boolean;
}

export interface RuntimeSettings {
  backend: BackendChoice;
  seed: number;
  /** Training iterations (RL) or optimisation steps (other jobs). */
  steps: number;
  /** Parent folder of run directories, relative to the recipe file. */
  outputDir: string;
  /** Run directory name; defaults to `<recipe name>-<timestamp>`. */
  runName?: string;
  /** Write a checkpoint every N steps (0 = only at the end). */
  checkpointEvery: number;
  /** Checkpoints kept on disk (older ones are deleted), at least 1. */
  keepCheckpoints: number;
  /** Native CPU kernels for the wasm backend. */
  nativeKernels: 'require' | 'allow' | 'forbid';
  /** Threads for the wasm backend (0 = tfjs default). */
  threads: number;
}

/** A recipe after validation: every default filled in. What a run directory stores. */
export interface ResolvedRecipe {
  $schema?: string;
  name: string;
  description?: string;
  job: SlotRef;
  plugins: string[];
  agent?: SlotRef;
  environment?: SlotRef;
  rewards: RewardRef[];
  rewardProcessing: RewardProcessing;
  algorithm?: SlotRef;
  klController?: SlotRef;
  loggers: SlotRef[];
  scorers: SlotRef[];
  runtime: RuntimeSettings;
}

/** The single-plugin slots and list slots of the envelope. */
export const SINGLE_SLOTS = ['agent', 'environment', 'algorithm', 'klController'] as const;
export const LIST_SLOTS = ['rewards', 'loggers', 'scorers'] as const;
