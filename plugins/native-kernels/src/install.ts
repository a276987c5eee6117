import * as os from 'node:os';
import { HOW_TO_ENABLE, loadAddon } from './addon';
import { batchMatMulKernel } from './kernels/batch-matmul';
import { castKernel, concatKernel, gatherKernel, sliceKernel, splitVKernel, transposeKernel } from './kernels/copy';
import { binaryKernels, unaryKernels } from './kernels/elementwise';
import { FUSED_KERNEL_NAMES, fusedKernels } from './kernels/fused';
import { identityKernel } from './kernels/identity';
import { reduceKernels } from './kernels/reduce';
import type { FusedKernel } from './kernels/fused';
import type { KernelArgs, NativeKernel } from './kernels/types';
import type { GemmName, NativeAddon } from './addon';
import { checkWasmInternals, initializedWasmBackend, type TF } from './wasm-internals';

/**
 * Every native kernel, in the order of their measured gain on a small GPT training step
 * (bench/native): sgemm first, then the elementwise and reduction kernels, then Identity and the
 * copies (Cast, SplitV, Slice, Concat, Transpose), then the row gather of embedding lookups.
 */
export const NATIVE_KERNELS: readonly NativeKernel[] = [
  batchMatMulKernel,
  ...unaryKernels,
  ...reduceKernels,
  ...binaryKernels,
  identityKernel,
  castKernel,
  splitVKernel,
  sliceKernel,
  concatKernel,
  transposeKernel,
  gatherKernel,
];

/**
 * Fused ops, by the name `installNativeKernels` takes, and the new tfjs kernels each registers. The
 * ops themselves are `geluTanh`, `layerNorm`, `tokenLogprobs`, `entropy` (fused-ops.ts) and the
 * `adam` optimizer (adam.ts), which fall back to stock ops wherever these kernels are not installed.
 */
export const FUSED_OPS: Readonly<Record<string, readonly string[]>> = {
  FusedGelu: [FUSED_KERNEL_NAMES.gelu, FUSED_KERNEL_NAMES.geluGrad],
  FusedLayerNorm: [FUSED_KERNEL_NAMES.layerNorm, FUSED_KERNEL_NAMES.layerNormGrad],
  FusedTokenLogprobs: [FUSED_KERNEL_NAMES.tokenLogprobs, FUSED_KERNEL_NAMES.tokenLogprobsGrad],
  FusedEntropy: [FUSED_KERNEL_NAMES.entropy, FUSED_KERNEL_NAMES.entropyGrad],
  FusedAdam: [FUSED_KERNEL_NAMES.adam],
};

/** Every name `installNativeKernels` accepts: the tfjs kernels with a native replacement, then the fused ops. */
export const NATIVE_KERNEL_NAMES: readonly string[] = [...NATIVE_KERNELS.map((k) => k.kernelName), ...Object.keys(FUSED_OPS)];

export interface InstallOptions {
  /** Kernel names to replace (default: all of {@link NATIVE_KERNEL_NAMES}). */
  kernels?: string[];
  /**
   * Threads of the native kernels' pool (default: every core, `os.availableParallelism()`, at most
   * 256). BatchMatMul and the large elementwise and row-wise kernels split their output over it in
   * independent blocks, never a sum: results are the same bit for bit at any thread count.
   */
  threads?: number;
  /**
   * The GEMM behind BatchMatMul: `auto` (default: OpenBLAS where the addon links it, else the own
   * GEMM, or what RLHF_NATIVE_GEMM says), `own` (the fastest own kernel for this CPU), or one of
   * `nativeBlasInfo().gemms`.
   */
  gemm?: 'auto' | 'own' | GemmName;
}

export interface InstallResult {
  /** Kernels that now run natively on the wasm backend. */
  installed: string[];
  /** Why nothing was installed, when `installed` is empty for a reason other than an empty request. */
  reason?: string;
}

/** An error in the arguments of {@link installNativeKernels}: names the field and how to fix it. */
export class NativeKernelsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fix: string,
    readonly field: string,
  ) {
    super(`${message}\n  fix: ${fix}`);
    this.name = 'NativeKernelsError';
  }
}

type KernelConfig = ReturnType<TF['getKernel']> & object;

interface State {
  /** The stock configs replaced, by kernel name. */
  replaced: Map<string, KernelConfig>;
  /** The kernelFuncs this package registered. */
  ours: WeakSet<object>;
  counts: { native: Map<string, number>; stock: Map<string, number> };
}

/**
 * Kept on globalThis, like tfjs's own kernel registry: two copies of this package in one process
 * (src and dist, say) then agree on which registered kernels are native and what to restore.
 */
const STATE_KEY = Symbol.for('@rlhfjs/native-kernels/state');
const state: State = ((globalThis as Record<symbol, unknown>)[STATE_KEY] ??= {
  replaced: new Map(),
  ours: new WeakSet(),
  counts: { native: new Map(), stock: new Map() },
} satisfies State) as State;
const { replaced, ours, counts } = state;

/** Whether a registered kernelFunc is one of this package's. */
export function isOurs(kernelFunc: unknown): boolean {
  return typeof kernelFunc === 'function' && ours.has(kernelFunc);
}

function bump(map: Map<string, number>, name: string): void {
  map.set(name, (map.get(name) ?? 0) + 1);
}

/**
 * How many calls each installed kernel ran natively and how many it handed to the stock kernel
 * (inputs it does not cover), since the process started or the last reset. Shows the coverage.
 */
export function nativeKernelCounts(reset = false): { native: Record<string, number>; stock: Record<string, number> } {
  const out = { native: Object.fromEntries(counts.native), stock: Object.fromEntries(counts.stock) };
  if (reset) {
    counts.native.clear();
    counts.stock.clear();
  }
  return out;
}

/** The message every "off" reason is wrapped in. */
export function offReason(why: string): string {
  return `native kernels are off: ${why}; to turn them on: ${HOW_TO_ENABLE}`;
}

/** Whether the addon loads here. Never throws; the reason says why not and how to fix it. */
export function nativeKernelsAvailable(): { ok: boolean; reason?: string } {
  const state = loadAddon();
  return state.ok ? { ok: true } : { ok: false, reason: offReason(state.why) };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

function checkRequest(options: InstallOptions): string[] {
  const names = options.kernels ?? [...NATIVE_KERNEL_NAMES];
  if (!Array.isArray(names)) {
    throw new NativeKernelsError('native-kernels/bad-kernels', '`kernels` must be an array of kernel names', `use a subset of: ${NATIVE_KERNEL_NAMES.join(', ')}`, 'kernels');
  }
  const chosen: string[] = [];
  for (const name of names) {
    if (!NATIVE_KERNEL_NAMES.includes(name)) {
      const closest = [...NATIVE_KERNEL_NAMES].sort((p, q) => editDistance(String(name), p) - editDistance(String(name), q))[0];
      throw new NativeKernelsError(
        'native-kernels/unknown-kernel',
        `unknown native kernel "${String(name)}". Did you mean "${closest}"?`,
        `use kernel names from: ${NATIVE_KERNEL_NAMES.join(', ')}`,
        'kernels',
      );
    }
    if (!chosen.includes(name)) chosen.push(name);
  }
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new NativeKernelsError('native-kernels/bad-threads', `threads must be an integer from 1 to 256, got ${String(threads)}`, 'leave threads out (every core) or give the number of cores the kernels may use', 'threads');
  }
  const gemm = options.gemm ?? 'auto';
  if (!(GEMM_CHOICES as readonly string[]).includes(gemm)) {
    throw new NativeKernelsError('native-kernels/bad-gemm', `unknown gemm "${String(gemm)}"`, `use one of: ${GEMM_CHOICES.join(', ')}`, 'gemm');
  }
  return chosen;
}

/**
 * Replaces the chosen tfjs kernels of the wasm backend with native ones. Call it after
 * `await tf.setBackend('wasm')`. Each native kernel hands inputs it does not cover (other dtypes,
 * axis patterns) to the stock kernel, so results never depend on coverage. Idempotent, and it
 * adds to what earlier calls installed (uninstallNativeKernels takes kernels out).
 * Returns the kernels installed; when the addon or the wasm internals are missing it installs
 * nothing and says why (it throws only for bad arguments).
 */
export function installNativeKernels(tf: TF, options: InstallOptions = {}): InstallResult {
  const chosen = checkRequest(options);
  const state = loadAddon();
  if (!state.ok) return { installed: [], reason: offReason(state.why) };
  const backend = initializedWasmBackend(tf);
  const broken = checkWasmInternals(backend);
  if (broken !== undefined) return { installed: [], reason: offReason(broken) };
  const { addon } = state;
  addon.setThreads(options.threads ?? defaultThreads());
  const gemmProblem = applyGemm(addon, options.gemm ?? 'auto');
  if (gemmProblem !== undefined) throw new NativeKernelsError('native-kernels/gemm-unavailable', gemmProblem, `use one of: ${addon.info().gemms.join(', ')}, own or auto`, 'gemm');

  const installed: string[] = [];
  for (const name of chosen) {
    const fused = FUSED_OPS[name];
    if (fused !== undefined) {
      for (const kernelName of fused) registerFused(tf, kernelName, addon);
      installed.push(name);
      continue;
    }
    const kernel = NATIVE_KERNELS.find((k) => k.kernelName === name) as NativeKernel;
    const current = tf.getKernel(name, 'wasm');
    if (current === undefined) continue; // this tfjs has no stock wasm kernel to fall back on
    if (ours.has(current.kernelFunc)) {
      installed.push(name);
      continue;
    }
    const stock = current;
    const kernelFunc = (args: unknown) => {
      const out = kernel.run(args as KernelArgs, addon, tf);
      if (out !== null) {
        bump(counts.native, name);
        return out;
      }
      bump(counts.stock, name);
      return stock.kernelFunc(args as Parameters<typeof stock.kernelFunc>[0]);
    };
    ours.add(kernelFunc);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: kernelFunc as typeof stock.kernelFunc,
      setupFunc: stock.setupFunc,
      disposeFunc: stock.disposeFunc,
    });
    replaced.set(name, stock);
    installed.push(name);
  }
  return { installed };
}

/** The choices of InstallOptions.gemm. */
export const GEMM_CHOICES = ['auto', 'own', 'openblas', 'own-avx2', 'own-neon', 'own-scalar'] as const;

let autoGemm: GemmName | undefined;

/** Every core, at most 256: the default of InstallOptions.threads. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(256, os.availableParallelism()));
}

/** Sets the addon's GEMM; returns why not when this build or CPU lacks it. */
function applyGemm(addon: NativeAddon, gemm: (typeof GEMM_CHOICES)[number]): string | undefined {
  const info = addon.info();
  autoGemm ??= info.gemm; // what the build and RLHF_NATIVE_GEMM chose at load
  const own = info.gemms.filter((g) => g !== 'openblas');
  const want: GemmName = gemm === 'auto' ? autoGemm : gemm === 'own' ? (own[own.length - 1] as GemmName) : gemm;
  if (!info.gemms.includes(want)) return `gemm "${gemm}" is not available in this build on this CPU (available: ${info.gemms.join(', ')})`;
  addon.setGemm(want);
  return undefined;
}

/**
 * Switches the GEMM behind the native BatchMatMul without reinstalling anything (tests and
 * benchmarks compare the GEMMs on one addon). Returns the GEMM now in use, or null when the addon
 * is off. Throws NativeKernelsError for a GEMM this build or CPU lacks.
 */
export function setNativeGemm(gemm: (typeof GEMM_CHOICES)[number]): GemmName | null {
  const state = loadAddon();
  if (!state.ok) return null;
  const problem = applyGemm(state.addon, gemm);
  if (problem !== undefined) throw new NativeKernelsError('native-kernels/gemm-unavailable', problem, `use one of: ${state.addon.info().gemms.join(', ')}, own or auto`, 'gemm');
  return state.addon.info().gemm;
}

/** Sets the native kernels' thread count (1 to 256) without reinstalling; false when the addon is off. */
export function setNativeThreads(threads: number): boolean {
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new NativeKernelsError('native-kernels/bad-threads', `threads must be an integer from 1 to 256, got ${String(threads)}`, 'give the number of cores the kernels may use', 'threads');
  }
  const state = loadAddon();
  if (!state.ok) return false;
  state.addon.setThreads(threads);
  return true;
}

/** Registers one fused kernel (a new kernel name: there is no stock one to replace). */
function registerFused(tf: TF, kernelName: string, addon: NativeAddon): void {
  const current = tf.getKernel(kernelName, 'wasm');
  if (current !== undefined && ours.has(current.kernelFunc)) return;
  if (current !== undefined) tf.unregisterKernel(kernelName, 'wasm');
  const kernel = fusedKernels.find((k) => k.kernelName === kernelName) as FusedKernel;
  const kernelFunc = (args: unknown) => {
    bump(counts.native, kernelName);
    return kernel.run(args as Parameters<FusedKernel['run']>[0], addon);
  };
  ours.add(kernelFunc);
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as Parameters<TF['registerKernel']>[0]['kernelFunc'] });
}

/** Puts the stock wasm kernels back (all, or the named ones). Returns the names restored. */
export function uninstallNativeKernels(tf: TF, kernels?: string[]): string[] {
  const restored: string[] = [];
  for (const [name, stock] of [...replaced]) {
    if (kernels !== undefined && !kernels.includes(name)) continue;
    const current = tf.getKernel(name, 'wasm');
    if (current !== undefined && ours.has(current.kernelFunc)) {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(stock);
      restored.push(name);
    }
    replaced.delete(name);
  }
  for (const [op, kernelNames] of Object.entries(FUSED_OPS)) {
    if (kernels !== undefined && !kernels.includes(op)) continue;
    let removed = false;
    for (const kernelName of kernelNames) {
      const current = tf.getKernel(kernelName, 'wasm');
      if (current !== undefined && ours.has(current.kernelFunc)) {
        tf.unregisterKernel(kernelName, 'wasm');
        removed = true;
      }
    }
    if (removed) restored.push(op);
  }
  return restored;
}

/** The native kernels and fused ops active on the wasm backend right now. */
export function installedNativeKernels(tf: TF): string[] {
  return NATIVE_KERNEL_NAMES.filter((name) => nativeKernelActive(tf, name));
}

/** Whether one native kernel or fused op (a name of {@link NATIVE_KERNEL_NAMES}) is active on the wasm backend right now. */
export function nativeKernelActive(tf: TF, name: string): boolean {
  return (FUSED_OPS[name] ?? [name]).every((kernelName) => {
    const current = tf.getKernel(kernelName, 'wasm');
    return current !== undefined && ours.has(current.kernelFunc);
  });
}
