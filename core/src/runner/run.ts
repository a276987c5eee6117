import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildRunContainer, createJob } from '../container/build';
import { DiagnosticError } from '../diagnostics';
import type { DependencyContainer } from 'tsyringe';
import type { Job, JobResult } from '../contract/job';
import { Tokens } from '../container/tokens';
import type { RunMetrics } from './metrics-sink';
import { loadRecipe, type LoadedRecipe } from '../recipe/validate';
import { createTensorRuntime } from '../runtime/backend';
import { buildManifest, type Manifest } from '../runtime/manifest';
import { assertPlanFits } from '../plan/memory-plan';
import { recipeMemoryPlan } from '../plan/recipe-plan';
import { RUN_FILES, RunDirectory } from '../runtime/run-dir';
import { localThreadSplit } from '../scaleout/threads';
import { assertNoRedacted, redactCommand, redactRecipe, secretPlaces, secretValues } from '../recipe/secrets';

export interface TrainOptions {
  /** `--set path=value` overrides. */
  overrides?: readonly string[];
  /**
   * Exact run directory (`--out`): created, or used when it exists and is empty. Default: a new
   * folder `<outputDir>/<runName or name-timestamp>` (see {@link TrainLoadedOptions.defaultOut}).
   */
  out?: string;
  /** The command line, for the manifest. */
  command?: string[];
  signal?: AbortSignal;
  /** Called once the run directory exists (before the backend loads). */
  onRunDir?: (dir: string) => void;
}

export interface TrainLoadedOptions extends Omit<TrainOptions, 'overrides'> {
  /**
   * The run directory to create when `out` is not given (default:
   * `<runtime.outputDir>/<runtime.runName or name-timestamp>` beside the recipe). When a folder of
   * that name exists, `-2`, `-3`, … is appended, so runs started together get one folder each.
   */
  defaultOut?: string;
}

export interface TrainResult {
  runDir: string;
  result: JobResult;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Validate, create the run directory (resolved recipe first), load the backend, wire, run. */
export async function train(recipeFile: string, opts: TrainOptions = {}): Promise<TrainResult> {
  const loaded = await loadRecipe(recipeFile, { overrides: opts.overrides });
  return trainLoaded(loaded, opts);
}

/** Run an already validated recipe into a new run directory (the one implementation behind `train` and `reproduce`). */
export async function trainLoaded(loaded: LoadedRecipe, opts: TrainLoadedOptions = {}): Promise<TrainResult> {
  const { recipe } = loaded;
  // a run whose recipe holds a secret given directly (redacted in its files) gets a folder only its owner can read
  const secrets = secretPlaces(recipe as unknown as Record<string, unknown>, loaded.registry);
  const mode = secrets.length ? PRIVATE_MODE : undefined;
  const dir = opts.out
    ? claimRunDirectory(path.resolve(opts.out), mode)
    : createUniqueRunDirectory(opts.defaultOut ?? path.resolve(loaded.baseDir, recipe.runtime.outputDir, recipe.runtime.runName ?? `${recipe.name}-${timestamp()}`), mode);
  const runDir = new RunDirectory(dir);
  runDir.writeJson(RUN_FILES.recipe, redactRecipe(recipe, secrets));
  opts.onRunDir?.(dir);
  return execute(loaded, runDir, { resume: false, command: opts.command ?? process.argv, signal: opts.signal });
}

/**
 * Create `base` with a non-recursive mkdir (its parents recursively), which fails when the folder
 * exists; then try `base-2`, `base-3`, … So N runs started at once get N folders, and none writes
 * into another's.
 */
export function createUniqueRunDirectory(base: string, mode?: number): string {
  makeParent(base);
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    if (makeFolder(dir, mode)) return dir;
  }
}

/** The run directory named by `--out`: created, or an existing empty folder; never a file or a folder with contents. */
export function claimRunDirectory(dir: string, mode?: number): string {
  makeParent(dir);
  if (makeFolder(dir, mode)) return dir;
  if (!fs.statSync(dir).isDirectory()) {
    throw new DiagnosticError({
      code: 'run/out-is-a-file',
      file: dir,
      message: `--out ${dir} is a file, not a folder`,
      fix: 'pass a folder that does not exist yet (or an empty one) to --out; the file was left as it is',
    });
  }
  if (fs.readdirSync(dir).length > 0) {
    const isRun = fs.existsSync(path.join(dir, RUN_FILES.manifest));
    throw new DiagnosticError({
      code: 'run/exists',
      file: dir,
      message: `the run directory ${dir} already exists and is not empty`,
      fix: `${isRun ? `continue that run with rlhf train --resume ${dir}, or ` : ''}choose another --out (nothing was overwritten)`,
    });
  }
  if (mode !== undefined) fs.chmodSync(dir, mode);
  return dir;
}

/** Mode of a run folder that holds a redacted secret: owner only. */
const PRIVATE_MODE = 0o700;

/** A non-recursive mkdir (with `mode`, not narrowed by the umask): true when created, false when something already stands there. */
function makeFolder(dir: string, mode: number | undefined): boolean {
  try {
    fs.mkdirSync(dir, { mode });
    if (mode !== undefined) fs.chmodSync(dir, mode);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate(dir, err);
    return false;
  }
}

function makeParent(dir: string): void {
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
  } catch (err) {
    throw cannotCreate(path.dirname(dir), err);
  }
}

function cannotCreate(dir: string, err: unknown): DiagnosticError {
  const e = err as NodeJS.ErrnoException;
  return new DiagnosticError({
    code: 'run/cannot-create',
    file: dir,
    message: `cannot create the run directory ${dir}: ${e.code === 'ENOTDIR' || e.code === 'EEXIST' ? 'a file stands where a folder of its path should be' : e.message}`,
    fix: 'choose another --out or runtime.outputDir, or fix the permissions of the folder above it',
  });
}

/** Continue a run from its last checkpoint, with the recipe it stored. */
export async function resume(runPath: string, opts: Omit<TrainOptions, 'out'> = {}): Promise<TrainResult> {
  const runDir = openRunDir(runPath);
  const manifest = runDir.readJson<Manifest>(RUN_FILES.manifest);
  const loaded = await loadStoredRecipe(runDir, manifest, opts.overrides);
  if (opts.overrides?.length) {
    const secrets = secretPlaces(loaded.recipe as unknown as Record<string, unknown>, loaded.registry);
    if (secrets.length) fs.chmodSync(runDir.path, PRIVATE_MODE);
    runDir.writeJson(RUN_FILES.recipe, redactRecipe(loaded.recipe, secrets));
  }
  return execute(loaded, runDir, { resume: true, command: opts.command ?? process.argv, signal: opts.signal, previous: manifest });
}

export function openRunDir(runPath: string): RunDirectory {
  const dir = path.resolve(runPath);
  const runDir = new RunDirectory(dir);
  for (const f of [RUN_FILES.recipe, RUN_FILES.manifest]) {
    if (!fs.existsSync(runDir.file(f))) {
      throw new DiagnosticError({ code: 'run/not-a-run', file: dir, message: `${dir} is not a run directory (no ${f})`, fix: 'pass the folder that rlhf train created (it holds recipe.resolved.json and manifest.json)' });
    }
  }
  return runDir;
}

/** The stored resolved recipe, validated again, with paths resolved where the original recipe lived. */
export async function loadStoredRecipe(runDir: RunDirectory, manifest: Manifest, overrides?: readonly string[]): Promise<LoadedRecipe> {
  const baseDir = fs.existsSync(manifest.recipeDir) ? manifest.recipeDir : path.dirname(runDir.path);
  const loaded = await loadRecipe(runDir.file(RUN_FILES.recipe), { overrides, baseDir });
  // a secret given directly was stored as <redacted>: it must be given again (--set or the environment)
  assertNoRedacted(loaded.recipe as unknown as Record<string, unknown>, loaded.registry, runDir.file(RUN_FILES.recipe));
  return loaded;
}

async function execute(loaded: LoadedRecipe, runDir: RunDirectory, o: { resume: boolean; command: string[]; signal?: AbortSignal; previous?: Manifest }): Promise<TrainResult> {
  const { recipe } = loaded;
  // with local workers and runtime.threads 0, the trainer takes its share of the cores (localThreadSplit)
  const split = localThreadSplit(recipe.runtime);
  const runtime = await createTensorRuntime(split && split.trainer > 0 ? { ...recipe.runtime, threads: split.trainer } : recipe.runtime);
  const secrets = secretPlaces(recipe as unknown as Record<string, unknown>, loaded.registry);
  const manifest = buildManifest(loaded, runtime, redactCommand(o.command, secrets, secretValues(recipe, secrets)));
  if (o.previous) {
    // a resumed run keeps where it came from: the original recipe file and folder, not the stored copy
    manifest.recipeFile = o.previous.recipeFile;
    manifest.recipeDir = o.previous.recipeDir;
    manifest.startedAt = o.previous.startedAt;
    manifest.resumedAt = [...(o.previous.resumedAt ?? []), new Date().toISOString()];
    if (o.previous.backend !== runtime.backend) {
      process.stderr.write(`warning: this run started on backend ${o.previous.backend} and resumes on ${runtime.backend}; metrics may differ from an uninterrupted run\n`);
    }
  }
  const planned = await recipeMemoryPlan(loaded, runtime.backend);
  if (planned) manifest.memoryPlan = { ...planned.plan, notes: planned.notes };
  runDir.writeJson(RUN_FILES.manifest, manifest);
  // refused before any weight is loaded: the plan says the run cannot fit the backend's limit
  if (planned) assertPlanFits(planned.plan, planned.input, loaded.source.file);
  const container = await buildRunContainer(loaded, { runtime, runDir });
  const job: Job = await createJob(loaded, container);
  const result = await runJob(job, container, runDir, o);
  runDir.writeJson(RUN_FILES.summary, { ...result.summary, finishedAt: new Date().toISOString() });
  return { runDir: runDir.path, result };
}

/**
 * The one resume path of every job: on resume, restore the last checkpoint through the job and drop
 * the metrics logged after it; then run from that step, with checkpoints written atomically.
 */
export async function runJob(job: Job, container: DependencyContainer, runDir: RunDirectory, o: { resume: boolean; signal?: AbortSignal }): Promise<JobResult> {
  const recipe = container.resolve(Tokens.Recipe);
  const metrics = container.resolve(Tokens.Metrics) as RunMetrics;
  for (const method of ['run', 'saveCheckpoint', 'loadCheckpoint'] as const) {
    if (typeof job[method] !== 'function') {
      throw new DiagnosticError({
        code: 'plugin/contract',
        plugin: `job/${recipe.job.use}`,
        pointer: '/job',
        message: `the ${recipe.job.use} job has no ${method}(): every job owns its checkpoint (run, saveCheckpoint, loadCheckpoint) so that it can resume`,
        fix: 'implement the Job interface of @rlhfjs/core (see docs/plugins.md, "Jobs"); a job with no state to keep writes nothing in saveCheckpoint',
      });
    }
  }
  let startStep = 0;
  if (o.resume) {
    const ck = runDir.latestCheckpoint();
    if (ck) {
      await job.loadCheckpoint(ck.dir, ck.step);
      startStep = ck.step;
    }
    runDir.truncateMetrics(startStep);
  }
  const checkpoint = async (step: number): Promise<string> => {
    const dir = await runDir.writeCheckpoint(step, (tmp) => job.saveCheckpoint(tmp, step), recipe.runtime.keepCheckpoints);
    await metrics.event('checkpoint', { step, dir });
    return dir;
  };
  await metrics.start(startStep);
  try {
    return await job.run({ container, runDir: runDir.path, startStep, metrics, checkpoint, signal: o.signal });
  } catch (err) {
    const ck = runDir.latestCheckpoint();
    await metrics.event('failed', { message: (err as Error).message, lastCheckpoint: ck?.dir ?? null });
    if (DiagnosticError.is(err) && ck) err.diagnostics[0].fix = `${err.diagnostics[0].fix ?? ''} The last good checkpoint is ${ck.dir} (step ${ck.step}); resume with rlhf train --resume ${runDir.path}`.trim();
    throw err;
  } finally {
    await metrics.close();
  }
}
