import type { MemoryPlan } from '../plan/memory-plan';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { LoadedRecipe } from '../recipe/validate';
import type { GpuAdapterReport, TensorRuntime } from '../contract/tensor-runtime';

export interface Manifest {
  /** Version of the manifest layout. */
  format: 1;
  recipeFile: string;
  /** Absolute folder the recipe's relative paths were resolved against. */
  recipeDir: string;
  recipeName: string;
  job: string;
  seed: number;
  backend: string;
  nativeKernels: string[];
  /** With native kernels: the GEMM that ran BatchMatMul (openblas, own-avx2, own-neon or own-scalar). */
  nativeGemm?: string;
  /** With native kernels: the threads of their pool. */
  nativeThreads?: number;
  /** The GPU adapter (webgpu backend only): vendor, architecture, device, description, limits, features. */
  gpu?: GpuAdapterReport;
  /** The memory plan worked out before the run (core/src/plan/memory-plan.ts), for RL runs whose agent reports its size. */
  memoryPlan?: MemoryPlan & { notes: string[] };
  /** Plugin package versions by registered name; null when the package.json has no version. */
  versions: { node: string; core: string; tfjs: string; plugins: Record<string, string | null> };
  /** Every plugin package the recipe loaded: where it came from and a hash of its package.json. */
  pluginPackages: PluginPackageRecord[];
  platform: { os: string; arch: string; cpus: number; cpuModel: string };
  command: string[];
  startedAt: string;
  /** Set when the run was resumed, once per resume. */
  resumedAt?: string[];
  /** runtime.workers as this start of the run used it (written by the RL loop; see docs/scale-out.md). */
  scaleOut?: Record<string, unknown>;
}

export interface PluginPackageRecord {
  /** The recipe's plugins entry. */
  spec: string;
  /** package.json name. */
  name: string;
  /** package.json version, null when it has none. */
  version: string | null;
  /** Real path of the package folder. */
  path: string;
  /** sha256 (hex) of the package.json bytes. */
  packageJsonSha256: string;
}

function readVersion(pkgJson: string): string {
  try {
    return (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildManifest(loaded: LoadedRecipe, runtime: TensorRuntime, command: string[]): Manifest {
  const plugins: Record<string, string | null> = {};
  for (const [name, info] of loaded.registry.packages) plugins[name] = info.version ?? null;
  const pluginPackages = loaded.packages.map((p) => ({ spec: p.spec, name: p.name, version: p.version ?? null, path: p.dir, packageJsonSha256: p.packageJsonSha256 }));
  let tfjs = 'unknown';
  try {
    tfjs = readVersion(require.resolve('@tensorflow/tfjs-core/package.json'));
  } catch {
    // left as unknown
  }
  return {
    format: 1,
    recipeFile: path.resolve(loaded.source.file),
    recipeDir: loaded.baseDir,
    recipeName: loaded.recipe.name,
    job: loaded.recipe.job.use,
    seed: loaded.recipe.runtime.seed,
    backend: runtime.backend,
    nativeKernels: runtime.nativeKernels,
    ...(runtime.nativeGemm !== undefined ? { nativeGemm: runtime.nativeGemm } : {}),
    ...(runtime.nativeThreads !== undefined ? { nativeThreads: runtime.nativeThreads } : {}),
    ...(runtime.gpu ? { gpu: runtime.gpu } : {}),
    versions: { node: process.version, core: readVersion(path.join(__dirname, '..', '..', 'package.json')), tfjs, plugins },
    pluginPackages,
    platform: { os: `${os.platform()} ${os.release()}`, arch: os.arch(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' },
    command,
    startedAt: new Date().toISOString(),
  };
}
