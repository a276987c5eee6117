import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError } from '../diagnostics';
import type { Job, JobContext, JobResult } from '../contract/job';

/**
 * The checkpoint half of a job plugin (see {@link Job.saveCheckpoint} and {@link Job.loadCheckpoint}),
 * written once for every job that resumes: `loadCheckpoint` checks that the folder holds the files
 * the job's checkpoints hold and keeps it in {@link restoreFrom} for `run`; `saveCheckpoint` works
 * while `run` keeps its state in {@link live}, and hands it to {@link save}.
 *
 * `O` is the job's options (validated, defaults filled in), `Live` what a checkpoint saves.
 */
export abstract class CheckpointedJob<O, Live> implements Job {
  /** The checkpoint folder the runner restored, or undefined for a new run. */
  protected restoreFrom: string | undefined;
  /** Set by `run` while it is in progress, so that a checkpoint can be written. */
  protected live: Live | undefined;
  /** The job plugin's name, e.g. `label` (messages name it `job/label`). */
  protected abstract readonly name: string;
  /** Files every checkpoint of this job holds; a folder without one of them is refused. */
  protected abstract readonly checkpointFiles: readonly string[];

  constructor(
    protected readonly o: O,
    /** Resolves a path written in the recipe (relative to the recipe file). */
    protected readonly resolvePath: (p: string) => string,
  ) {}

  abstract run(ctx: JobContext): Promise<JobResult>;

  /** Write `live` into the empty folder `dir`. */
  protected abstract save(live: Live, dir: string): Promise<void>;

  async loadCheckpoint(dir: string): Promise<void> {
    for (const f of this.checkpointFiles) {
      const file = path.join(dir, f);
      if (!fs.existsSync(file)) {
        throw new DiagnosticError(
          { code: 'checkpoint/missing-file', file, plugin: `job/${this.name}`, message: `the checkpoint ${dir} has no ${f}`, fix: `resume from a checkpoint written by the ${this.name} job of this version` },
          { exitCode: 1 },
        );
      }
    }
    this.restoreFrom = dir;
  }

  async saveCheckpoint(dir: string): Promise<void> {
    if (this.live === undefined) throw new Error(`job/${this.name}: saveCheckpoint called outside run`);
    await this.save(this.live, dir);
  }
}
