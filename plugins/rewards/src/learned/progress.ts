import { Tokens, type Logger, type Metrics } from '@rlhfjs/core';
import type { DependencyContainer } from 'tsyringe';

/**
 * Where a training job's metrics go: `metrics.jsonl` of the run directory and the recipe's loggers.
 * With no logger configured, a short line goes to stderr so a long job is never silent.
 */
export class JobProgress {
  private readonly loggers: Logger[];
  private readonly runDir;
  private started = false;

  constructor(
    container: DependencyContainer,
    private readonly name: string,
    private readonly totalSteps: number,
    private readonly stderr: NodeJS.WritableStream | undefined = process.stderr,
  ) {
    this.runDir = container.isRegistered(Tokens.RunDir, true) ? container.resolve(Tokens.RunDir) : undefined;
    this.loggers = container.isRegistered(Tokens.Loggers, true) ? container.resolve(Tokens.Loggers) : [];
  }

  async log(step: number, metrics: Metrics): Promise<void> {
    if (!this.started) {
      this.started = true;
      for (const l of this.loggers) await l.start?.({ runDir: this.runDir?.path ?? '', totalSteps: this.totalSteps, startStep: 0 });
    }
    this.runDir?.appendMetrics(step, metrics);
    for (const l of this.loggers) await l.log(step, metrics);
    if (!this.loggers.length && this.stderr) {
      const parts = Object.entries(metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`);
      this.stderr.write(`${this.name} step ${step}/${this.totalSteps}: ${parts.join(', ')}\n`);
    }
  }

  async close(): Promise<void> {
    for (const l of this.loggers) await l.close?.();
  }
}
