import * as fs from 'node:fs';
import * as path from 'node:path';
import { atomicWriteDir, atomicWriteFileSync, writeJsonAtomic } from './atomic';
import type { Metrics } from '../contract/algorithm';

export const RUN_FILES = {
  recipe: 'recipe.resolved.json',
  manifest: 'manifest.json',
  metrics: 'metrics.jsonl',
  summary: 'summary.json',
  checkpoints: 'checkpoints',
  latest: 'checkpoints/latest.json',
} as const;

export interface MetricsRecord {
  step: number;
  time: string;
  [key: string]: number | string;
}

/**
 * A run directory: the resolved recipe and the manifest are written first, then `metrics.jsonl`
 * grows one line per step, and checkpoints appear under `checkpoints/step-<n>/` (atomically).
 */
export class RunDirectory {
  constructor(readonly path: string) {}

  file(name: string): string {
    return path.join(this.path, name);
  }

  get metricsPath(): string {
    return this.file(RUN_FILES.metrics);
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(this.file(name), value);
  }

  readJson<T>(name: string): T {
    return JSON.parse(fs.readFileSync(this.file(name), 'utf8')) as T;
  }

  /** Append one metrics line; numbers that are not finite are stored as strings ("NaN"). */
  appendMetrics(step: number, metrics: Metrics): MetricsRecord {
    const rec: MetricsRecord = { step, time: new Date().toISOString() };
    for (const [k, v] of Object.entries(metrics)) rec[k] = Number.isFinite(v) ? v : String(v);
    fs.appendFileSync(this.metricsPath, JSON.stringify(rec) + '\n');
    return rec;
  }

  /** Every complete metrics line (a torn last line from a crash is skipped). */
  readMetrics(): MetricsRecord[] {
    return readMetricsFile(this.metricsPath);
  }

  /** Keep only metrics of steps < `step` (used when resuming from a checkpoint taken before `step`). */
  truncateMetrics(step: number): void {
    if (!fs.existsSync(this.metricsPath)) return;
    const kept = this.readMetrics().filter((r) => r.step < step);
    atomicWriteFileSync(this.metricsPath, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  checkpointDir(step: number): string {
    return path.join(this.path, RUN_FILES.checkpoints, `step-${String(step).padStart(6, '0')}`);
  }

  /** Write a checkpoint atomically and point `latest.json` at it; prune old ones. */
  async writeCheckpoint(step: number, fill: (dir: string) => Promise<void>, keep = 2): Promise<string> {
    const dir = this.checkpointDir(step);
    await atomicWriteDir(dir, fill);
    writeJsonAtomic(this.file(RUN_FILES.latest), { step, dir: path.relative(this.path, dir) });
    this.pruneCheckpoints(keep);
    return dir;
  }

  /** The last complete checkpoint, or undefined. */
  latestCheckpoint(): { step: number; dir: string } | undefined {
    const p = this.file(RUN_FILES.latest);
    if (!fs.existsSync(p)) return undefined;
    const { step, dir } = JSON.parse(fs.readFileSync(p, 'utf8')) as { step: number; dir: string };
    const abs = path.resolve(this.path, dir);
    return fs.existsSync(abs) ? { step, dir: abs } : undefined;
  }

  private pruneCheckpoints(keep: number): void {
    const root = this.file(RUN_FILES.checkpoints);
    const dirs = fs
      .readdirSync(root)
      .filter((d) => /^step-\d+$/.test(d))
      .sort();
    for (const d of dirs.slice(0, Math.max(0, dirs.length - Math.max(1, keep)))) {
      fs.rmSync(path.join(root, d), { recursive: true, force: true });
    }
  }
}

export function readMetricsFile(file: string): MetricsRecord[] {
  if (!fs.existsSync(file)) return [];
  const out: MetricsRecord[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsRecord);
    } catch {
      // a torn line at the end of a killed run
    }
  }
  return out;
}

export { atomicWriteDir, atomicWriteFileSync, writeJsonAtomic };
