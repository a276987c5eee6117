import * as path from 'node:path';

/** The functions the compiled addon exports (native/addon.cc). Offsets are byte offsets into `heap`. */
export interface NativeAddon {
  batchMatMul(
    heap: ArrayBuffer,
    aOffset: number,
    bOffset: number,
    outOffset: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    aBatchStride: number,
    bBatchStride: number,
    aBatchIndex: Int32Array | null,
    bBatchIndex: Int32Array | null,
  ): void;
  unary(heap: ArrayBuffer, op: number, xOffset: number, outOffset: number, size: number): void;
  binary(
    heap: ArrayBuffer,
    op: number,
    aOffset: number,
    bOffset: number,
    outOffset: number,
    shape: Int32Array,
    aStrides: Int32Array,
    bStrides: Int32Array,
  ): void;
  reduce(
    heap: ArrayBuffer,
    op: number,
    xOffset: number,
    outOffset: number,
    outer: number,
    reduceSize: number,
    inner: number,
  ): void;
  stridedCopy(
    heap: ArrayBuffer,
    srcOffset: number,
    dstOffset: number,
    shape: Int32Array,
    srcStrides: Int32Array,
    dstStrides: Int32Array,
  ): void;
  /** Returns the position of the first index outside [0, n) (nothing written), or -1 after the copy. */
  gather(heap: ArrayBuffer, xOffset: number, indicesOffset: number, outOffset: number, outer: number, n: number, count: number, inner: number): number;
  cast(heap: ArrayBuffer, kind: number, xOffset: number, outOffset: number, size: number): void;
  gelu(heap: ArrayBuffer, xOffset: number, outOffset: number, size: number): void;
  geluGrad(heap: ArrayBuffer, dyOffset: number, xOffset: number, dxOffset: number, size: number): void;
  layerNorm(
    heap: ArrayBuffer,
    xOffset: number,
    gammaOffset: number,
    betaOffset: number,
    yOffset: number,
    meanOffset: number,
    rstdOffset: number,
    rows: number,
    d: number,
    eps: number,
  ): void;
  layerNormGrad(
    heap: ArrayBuffer,
    dyOffset: number,
    xOffset: number,
    gammaOffset: number,
    meanOffset: number,
    rstdOffset: number,
    dxOffset: number,
    dgammaOffset: number,
    dbetaOffset: number,
    rows: number,
    d: number,
  ): void;
  tokenLogprobs(heap: ArrayBuffer, logitsOffset: number, targetsOffset: number, lpOffset: number, lseOffset: number, rows: number, vocab: number): void;
  tokenLogprobsGrad(
    heap: ArrayBuffer,
    dlpOffset: number,
    logitsOffset: number,
    targetsOffset: number,
    lseOffset: number,
    dlogitsOffset: number,
    rows: number,
    vocab: number,
  ): void;
  entropy(heap: ArrayBuffer, logitsOffset: number, hOffset: number, lseOffset: number, muOffset: number, rows: number, vocab: number): void;
  entropyGrad(heap: ArrayBuffer, dhOffset: number, logitsOffset: number, lseOffset: number, muOffset: number, dlogitsOffset: number, rows: number, vocab: number): void;
  adamStep(
    heap: ArrayBuffer,
    xOffset: number,
    gOffset: number,
    mOffset: number,
    vOffset: number,
    xOutOffset: number,
    mOutOffset: number,
    vOutOffset: number,
    size: number,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    c1: number,
    c2: number,
  ): void;
  /** Threads of the kernels' pool (BatchMatMul and the large elementwise and row-wise kernels). */
  setThreads(threads: number): void;
  /** Picks the GEMM behind batchMatMul, one of `info().gemms`; throws a RangeError otherwise. */
  setGemm(name: GemmName): void;
  info(): AddonInfo;
}

/** The GEMMs the addon can have: OpenBLAS's sgemm, or its own with AVX2/FMA, NEON or portable C++. */
export type GemmName = 'openblas' | 'own-avx2' | 'own-neon' | 'own-scalar';

export interface AddonInfo {
  /** OpenBLAS's build configuration, "" when the addon was built without OpenBLAS. */
  blas: string;
  /** Threads of the kernels' pool. */
  threads: number;
  /** The GEMM BatchMatMul runs now. */
  gemm: GemmName;
  /** Every GEMM this build can run on this CPU. */
  gemms: GemmName[];
}

/** The environment variable that turns the addon off: `RLHFJS_NATIVE_KERNELS=off`. */
export const DISABLE_ENV = 'RLHFJS_NATIVE_KERNELS';

/** How to get the addon built, appended to every reason it is off. */
export const HOW_TO_ENABLE =
  'apt-get install libopenblas-dev g++ make python3 && npm rebuild @rlhfjs/native-kernels';

/** The package root (one level above both src/ and dist/), where node-gyp-build looks for the addon. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

/**
 * The addon's file as node-gyp-build resolves it: build/Release (built from source here) first,
 * then prebuilds/<platform>-<arch>/*.node (shipped in the published package). Throws when neither
 * holds one for this platform.
 */
export function resolveAddonPath(): string {
  const gypBuild = require('node-gyp-build') as { path(dir: string): string };
  return gypBuild.path(PACKAGE_ROOT);
}

export type AddonState = { ok: true; addon: NativeAddon; file?: string } | { ok: false; why: string };

let cached: AddonState | undefined;

function load(): AddonState {
  const flag = process.env[DISABLE_ENV];
  if (flag !== undefined && ['off', '0', 'false', 'no'].includes(flag.trim().toLowerCase())) {
    return { ok: false, why: `${DISABLE_ENV}=${flag} is set` };
  }
  let file: string;
  try {
    file = resolveAddonPath();
  } catch (err) {
    const first = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, why: `the addon was not built and no prebuilt binary fits (${first.replace(/\s+$/, '')}; looked in ${path.join(PACKAGE_ROOT, 'build', 'Release')} and ${path.join(PACKAGE_ROOT, 'prebuilds')})` };
  }
  try {
    const addon = require(file) as NativeAddon;
    for (const fn of ['batchMatMul', 'unary', 'binary', 'reduce', 'stridedCopy', 'gather', 'cast', 'gelu', 'geluGrad', 'layerNorm', 'layerNormGrad', 'tokenLogprobs', 'tokenLogprobsGrad', 'entropy', 'entropyGrad', 'adamStep', 'setThreads', 'setGemm', 'info'] as const) {
      if (typeof addon[fn] !== 'function') {
        return { ok: false, why: `the addon at ${file} is stale (no ${fn}())` };
      }
    }
    return { ok: true, addon, file };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, why: `the addon failed to load (${message})` };
  }
}

/** Loads the addon once per process; the environment variable is read at that first call. */
export function loadAddon(): AddonState {
  cached ??= load();
  return cached;
}

/** Forgets the cached load result, so that the next call reads the environment again (tests). */
export function resetAddonCacheForTests(): void {
  cached = undefined;
}
