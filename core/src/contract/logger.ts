import type { Metrics } from './algorithm';

/** A metric sink. The runner always writes `metrics.jsonl`; loggers add other views. */
export interface Logger {
  /** Called once before the first step. */
  start?(info: { runDir: string; totalSteps: number; startStep: number }): void | Promise<void>;
  log(step: number, metrics: Metrics): void | Promise<void>;
  /** Free-form events: checkpoint written, early stop, evaluation table. */
  event?(name: string, data: Record<string, unknown>): void | Promise<void>;
  close?(): void | Promise<void>;
}
