import type { DependencyContainer } from 'tsyringe';

export interface JobContext {
  container: DependencyContainer;
  /** The run directory, already holding the resolved recipe and manifest. */
  runDir: string;
  /** Resume from the last checkpoint in runDir. */
  resume: boolean;
  signal?: AbortSignal;
}

export interface JobResult {
  /** Headline figures printed at the end and stored in `summary.json`. */
  summary: Record<string, unknown>;
}

/**
 * A job is what a recipe runs. `rl` (the default) is the core RL loop; others (pretraining,
 * training a classifier or reward model, collecting labels) are plugins of kind `job`.
 */
export interface Job {
  run(ctx: JobContext): Promise<JobResult>;
}
