import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError } from '../diagnostics';
import type { JobResult } from '../contract/job';
import { CheckpointedJob } from './checkpointed-job';

/** A job whose live state is a counter that run() advances, saved as count.json. */
class CountingJob extends CheckpointedJob<{ upTo: number }, { count: number }> {
  protected readonly name = 'count';
  protected readonly checkpointFiles = ['count.json', 'other.bin'];
  restoredFrom(): string | undefined {
    return this.restoreFrom;
  }

  protected async save(live: { count: number }, dir: string): Promise<void> {
    fs.writeFileSync(path.join(dir, 'count.json'), JSON.stringify(live));
    fs.writeFileSync(path.join(dir, 'other.bin'), '');
  }

  async run(): Promise<JobResult> {
    const live = { count: this.restoreFrom ? (JSON.parse(fs.readFileSync(path.join(this.restoreFrom, 'count.json'), 'utf8')) as { count: number }).count : 0 };
    this.live = live;
    try {
      while (live.count < this.o.upTo) live.count += 1;
      return { summary: { count: live.count, recipePath: this.resolvePath('x') } };
    } finally {
      this.live = undefined;
    }
  }
}

describe('CheckpointedJob', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpointed-job-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a checkpoint folder without one of its files, naming the file and the job', async () => {
    fs.writeFileSync(path.join(dir, 'count.json'), '{"count":3}');
    const job = new CountingJob({ upTo: 5 }, (p) => `/recipes/${p}`);
    const err = await job.loadCheckpoint(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(DiagnosticError.is(err)).toBe(true);
    const d = (err as DiagnosticError).diagnostics[0];
    expect(d.code).toBe('checkpoint/missing-file');
    expect(d.file).toBe(path.join(dir, 'other.bin'));
    expect(d.plugin).toBe('job/count');
    expect(d.fix).toBe('resume from a checkpoint written by the count job of this version');
    expect((err as DiagnosticError).exitCode).toBe(1);
    expect(job.restoredFrom()).toBeUndefined();
  });

  it('keeps a complete folder for run, which continues from it', async () => {
    fs.writeFileSync(path.join(dir, 'count.json'), '{"count":3}');
    fs.writeFileSync(path.join(dir, 'other.bin'), '');
    const job = new CountingJob({ upTo: 5 }, (p) => `/recipes/${p}`);
    await job.loadCheckpoint(dir);
    expect(job.restoredFrom()).toBe(dir);
    expect((await job.run()).summary).toEqual({ count: 5, recipePath: '/recipes/x' });
  });

  it('saves only while run is in progress', async () => {
    const job = new CountingJob({ upTo: 2 }, (p) => p);
    await expect(job.saveCheckpoint(dir)).rejects.toThrow('job/count: saveCheckpoint called outside run');
    (job as unknown as { live: { count: number } }).live = { count: 7 };
    await job.saveCheckpoint(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'count.json'), 'utf8'))).toEqual({ count: 7 });
  });
});
