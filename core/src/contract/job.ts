import type { DependencyContainer } from 'tsyringe';
import type { Metrics } from './algorithm';

/**
 * Where every job's metrics go: `metrics.jsonl` in the run directory, each logger of the recipe's
 * `loggers` slot, and the progress line on stderr. One implementation lives in core and is
 * registered as `Tokens.Metrics` in every run's container; jobs never write metrics themselves.
 */
export interface MetricsSink {
  /** Record one step's metrics (non-finite numbers are kept, as strings, in metrics.jsonl). */
  log(step: number, metrics: Metrics): Promise<void>;
  /** A free-form event for the loggers (checkpoint written, evaluation table, a message). */
  event(name: string, data: Record<string, unknown>): Promise<void>;
  /**
   * The job's last step, where it is not `runtime.steps` (e.g. epochs × batches of a training set
   * known only once the data is read): the progress line's bar and ETA use it.
   */
  plan(totalSteps: number): void;
}

export interface JobContext {
  container: DependencyContainer;
  /** The run directory, already holding the resolved recipe and manifest. */
  runDir: string;
  /**
   * Where to start: 0 for a new run; on `--resume`, the step of the checkpoint that the runner
   * restored through {@link Job.loadCheckpoint} before calling {@link Job.run}.
   */
  startStep: number;
  /** The run's metrics sink (also `Tokens.Metrics`). */
  metrics: MetricsSink;
  /**
   * Write a checkpoint at `step`: the runner creates an empty temporary folder, calls
   * {@link Job.saveCheckpoint} on it, renames it into `checkpoints/step-N/` and prunes old ones.
   * Returns the checkpoint's folder.
   */
  checkpoint(step: number): Promise<string>;
  signal?: AbortSignal;
}

export interface JobResult {
  /** Headline figures printed at the end and stored in `summary.json`. */
  summary: Record<string, unknown>;
}

/**
 * What {@link Job.serve} gets: the command line's settings and a signal that ends the serving.
 * Since plugin API 2.2.
 */
export interface JobServeContext {
  /** The recipe's `name` (e.g. for default queue names). */
  recipeName: string;
  /** The recipe's file, for messages. */
  recipeFile: string;
  /** `--redis` of the command line, when given (overrides the recipe's URL). */
  redis?: string;
  /** `--port` of the command line, when given. */
  port?: number;
  /** A line for the person who started the command (the page's URL, ...): stdout. */
  out(line: string): void;
  /** A progress or log line: stderr. */
  log(line: string): void;
  /** Aborted on SIGINT or SIGTERM: stop taking work and return. */
  signal: AbortSignal;
}

/**
 * A job is what a recipe runs (`job:` in a recipe; `rl` by default). Every job is a plugin of kind
 * `job`, declares the recipe slots it reads (`requires`), and owns its checkpoint, so that every
 * job resumes after a kill through one path: the runner finds the last checkpoint, calls
 * `loadCheckpoint`, drops metrics logged after it, then calls `run` with `startStep` set.
 */
export interface Job {
  run(ctx: JobContext): Promise<JobResult>;
  /**
   * Optional: the serving side of a job that hands its work to other processes through a queue
   * (the `label` job's `queue` option: `rlhf label-server <recipe>` calls this). Runs until
   * `ctx.signal` is aborted or the serving ends by itself. A job without it is refused by the
   * command with a message. Since plugin API 2.2.
   */
  serve?(ctx: JobServeContext): Promise<void>;
  /** Write everything needed to continue after `step` into `dir` (an empty folder). */
  saveCheckpoint(dir: string, step: number): Promise<void>;
  /** Restore what {@link saveCheckpoint} wrote at `step`, before `run` is called. */
  loadCheckpoint(dir: string, step: number): Promise<void>;
}
