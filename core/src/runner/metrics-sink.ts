import type { Metrics } from '../contract/algorithm';
import type { MetricsSink } from '../contract/job';
import type { Logger } from '../contract/logger';
import type { RunDirectory } from '../runtime/run-dir';
import { Progress } from './progress';

export interface RunMetricsOptions {
  /** Shown at the start of the progress line (the recipe's name). */
  label: string;
  /** The job's last step (`runtime.steps`), for the progress bar and ETA. */
  totalSteps: number;
  /** Where the progress line goes (default: stderr); null turns it off. */
  stream?: NodeJS.WriteStream | null;
}

/**
 * The run's one metrics sink: every job logs through it. Each step goes to `metrics.jsonl` in the
 * run directory, to every logger of the recipe's `loggers` slot, and to the progress line. The
 * loggers are started once (with the step the run starts or resumes at) and closed once.
 */
export class RunMetrics implements MetricsSink {
  private progress: Progress | undefined;
  private state: 'new' | 'started' | 'closed' = 'new';

  constructor(
    private readonly runDir: RunDirectory | undefined,
    private readonly loggers: readonly Logger[],
    private readonly opts: RunMetricsOptions,
  ) {}

  /** Called by the runner before the job runs. */
  async start(startStep: number): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'started';
    if (this.opts.stream !== null) this.progress = new Progress({ total: this.opts.totalSteps, start: startStep, label: this.opts.label, stream: this.opts.stream });
    for (const l of this.loggers) await l.start?.({ runDir: this.runDir?.path ?? '', totalSteps: this.opts.totalSteps, startStep });
  }

  async log(step: number, metrics: Metrics): Promise<void> {
    await this.start(0);
    this.runDir?.appendMetrics(step, metrics);
    for (const l of this.loggers) await l.log(step, metrics);
    this.progress?.update(step, metrics);
  }

  async event(name: string, data: Record<string, unknown>): Promise<void> {
    await this.start(0);
    for (const l of this.loggers) await l.event?.(name, data);
    if (typeof data.message === 'string') this.progress?.message(`${this.opts.label}: ${data.message}`);
  }

  plan(totalSteps: number): void {
    this.opts.totalSteps = totalSteps;
    this.progress?.setTotal(totalSteps);
  }

  /** Called by the runner once the job has ended, whether it finished or failed. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const started = this.state === 'started';
    this.state = 'closed';
    if (started) for (const l of this.loggers) await l.close?.();
  }
}
