import { DiagnosticError } from '../diagnostics';
import type { BackendChoice, BackendName, GpuAdapterReport, TF, TensorRuntime } from '../contract/tensor-runtime';
import { ensureGradients } from './gradients';
import { prepareWebGPU, releaseNavigatorGpu, WEBGPU_INSTALL_FIX, WEBGPU_PACKAGES } from './webgpu';

export interface RuntimeRequest {
  backend: BackendChoice;
  nativeKernels?: 'require' | 'allow' | 'forbid';
  threads?: number;
  /** Whether `auto` may pick the WebGPU backend (default false). */
  gpu?: boolean;
}

/**
 * The order `auto` tries. tensorflow-gpu is only there when @tensorflow/tfjs-node-gpu was installed
 * on purpose; webgpu ships with every install (optional dependencies), so `auto` takes it only when
 * the recipe allows it (`runtime.gpu: true`): a default recipe runs where it always ran.
 */
export function autoOrder(gpu: boolean): BackendName[] {
  return gpu ? ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm'] : ['tensorflow-gpu', 'tensorflow', 'wasm'];
}

const INSTALL: Record<BackendName, { module: string; fix: string }> = {
  'tensorflow-gpu': {
    module: '@tensorflow/tfjs-node-gpu',
    fix: 'npm install @tensorflow/tfjs-node-gpu@4.22.0 (Linux x64 with CUDA 11.2 and cuDNN 8.1; its install step needs libtensorflow-gpu 2.9.1, downloaded or given as a local archive with TFJS_NODE_CDN_STORAGE: see docs/gpu.md), or use backend: webgpu or wasm',
  },
  webgpu: { module: WEBGPU_PACKAGES.backend, fix: WEBGPU_INSTALL_FIX },
  tensorflow: {
    module: '@tensorflow/tfjs-node',
    fix: 'npm install @tensorflow/tfjs-node@4.22.0 (its install step downloads libtensorflow, which must be reachable), or use backend: wasm',
  },
  wasm: { module: '@tensorflow/tfjs-backend-wasm', fix: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0' },
  cpu: { module: '@tensorflow/tfjs-backend-cpu', fix: 'npm install @tensorflow/tfjs-backend-cpu@4.22.0' },
};

/** The tfjs backend name each choice registers under. */
const TF_NAME: Record<BackendName, string> = { 'tensorflow-gpu': 'tensorflow', webgpu: 'webgpu', tensorflow: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

function isMissingModule(err: unknown, mod: string): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'MODULE_NOT_FOUND' && String(e.message).includes(mod);
}

function tfCore(): TF {
  return require('@tensorflow/tfjs-core') as TF;
}

/** Each backend's package, required by its literal name (so that a bundler sees every one). */
function requireBackend(name: BackendName): unknown {
  switch (name) {
    case 'wasm':
      return require('@tensorflow/tfjs-backend-wasm');
    case 'cpu':
      return require('@tensorflow/tfjs-backend-cpu');
    case 'tensorflow':
      return require('@tensorflow/tfjs-node');
    case 'tensorflow-gpu':
      return require('@tensorflow/tfjs-node-gpu');
    case 'webgpu':
      return require('@tensorflow/tfjs-backend-webgpu');
  }
}

/** Load the backend's module (lazily: nothing is loaded before a recipe is valid). */
function loadBackendModule(name: BackendName, threads: number): void {
  const m = requireBackend(name) as { setThreadsCount?: (n: number) => void };
  if (name === 'wasm' && threads > 0) m.setThreadsCount?.(threads);
}

async function activate(name: BackendName, tf: TF, threads: number): Promise<GpuAdapterReport | undefined> {
  let gpu: GpuAdapterReport | undefined;
  if (name === 'webgpu') gpu = await prepareWebGPU(tf);
  else loadBackendModule(name, threads);
  const wanted = TF_NAME[name];
  let ok = false;
  try {
    ok = await tf.setBackend(wanted);
    await tf.ready();
  } catch (err) {
    throw new DiagnosticError({ code: 'runtime/backend-failed', message: `backend ${name} failed to start: ${(err as Error).message}`, fix: 'try backend: wasm, which is embedded' }, { exitCode: 1, cause: err });
  } finally {
    if (name === 'webgpu') releaseNavigatorGpu();
  }
  // tfjs falls back to another backend silently when one fails to initialise: check.
  if (!ok || tf.getBackend() !== wanted) {
    throw new DiagnosticError(
      { code: 'runtime/backend-fallback', message: `backend ${name} did not start: tfjs is running "${tf.getBackend()}" instead`, fix: 'fix the backend installation, or choose that backend explicitly in runtime.backend' },
      { exitCode: 1 },
    );
  }
  return gpu;
}

/**
 * Select, load and check the tensor backend the recipe asks for. A named backend that is not
 * installed is a user error with the install command; `auto` takes the first that works.
 */
export async function createTensorRuntime(req: RuntimeRequest): Promise<TensorRuntime> {
  const tf = tfCore();
  ensureGradients(tf);
  const threads = req.threads ?? 0;
  let chosen: BackendName | undefined;
  let gpu: GpuAdapterReport | undefined;
  if (req.backend === 'auto') {
    const tried: string[] = [];
    const order = autoOrder(req.gpu === true);
    for (const [i, name] of order.entries()) {
      try {
        gpu = await activate(name, tf, threads);
        chosen = name;
        break;
      } catch (err) {
        const missing = isMissingModule(err, INSTALL[name].module) || (DiagnosticError.is(err) && err.diagnostics[0]?.code === 'runtime/backend-not-installed');
        const why = missing ? 'not installed' : (err as Error).message.split('\n')[0];
        tried.push(`${name}: ${why}`);
        // the recipe asked for a GPU: say in one line why it runs without one
        if (name === 'webgpu') process.stderr.write(`runtime.backend auto: webgpu did not start (${why}); trying ${order[i + 1]}\n`);
      }
    }
    if (!chosen) throw new DiagnosticError({ code: 'runtime/no-backend', message: `no tensor backend could start (${tried.join('; ')})`, fix: INSTALL.wasm.fix }, { exitCode: 1 });
  } else {
    chosen = req.backend;
    try {
      gpu = await activate(chosen, tf, threads);
    } catch (err) {
      if (isMissingModule(err, INSTALL[chosen].module)) {
        throw new DiagnosticError({
          code: 'runtime/backend-not-installed',
          pointer: '/runtime/backend',
          message: `runtime.backend is "${chosen}", but ${INSTALL[chosen].module} is not installed`,
          fix: INSTALL[chosen].fix,
        });
      }
      throw err;
    }
  }
  const native = chosen === 'wasm' ? installNative(tf, req.nativeKernels ?? 'allow', threads) : { installed: [] };
  if (chosen !== 'wasm' && req.nativeKernels === 'require') {
    throw new DiagnosticError({ code: 'runtime/native-kernels', pointer: '/runtime/nativeKernels', message: `nativeKernels: require works with the wasm backend only, but the backend is ${chosen}`, fix: 'use backend: wasm, or nativeKernels: allow' });
  }
  const rt: TensorRuntime = { tf, backend: chosen, nativeKernels: native.installed };
  if (native.info) {
    rt.nativeGemm = native.info.gemm;
    rt.nativeThreads = native.info.threads;
  }
  if (gpu) rt.gpu = gpu;
  return rt;
}

interface NativeModule {
  nativeKernelsAvailable(): { ok: boolean; reason?: string };
  installNativeKernels(tf: TF, opts?: { kernels?: string[]; threads?: number }): { installed: string[]; reason?: string };
  /** Absent in versions before the own GEMM. */
  nativeBlasInfo?(): { gemm?: string; threads: number } | null;
}

interface NativeInstall {
  installed: string[];
  info?: { gemm: string; threads: number };
}

/**
 * Native CPU kernels for wasm, from the optional @rlhfjs/native-kernels package, on `threads`
 * threads (0: every core; their results are the same at any count).
 */
function installNative(tf: TF, mode: 'require' | 'allow' | 'forbid', threads: number): NativeInstall {
  if (mode === 'forbid') return { installed: [] };
  let mod: NativeModule | undefined;
  let reason = '';
  try {
    mod = require('@rlhfjs/native-kernels') as NativeModule;
  } catch (err) {
    reason = isMissingModule(err, '@rlhfjs/native-kernels') ? '@rlhfjs/native-kernels is not installed' : (err as Error).message.split('\n')[0];
  }
  if (mod) {
    const avail = mod.nativeKernelsAvailable();
    if (avail.ok) {
      const r = mod.installNativeKernels(tf, threads > 0 ? { threads: Math.min(threads, 256) } : {});
      if (r.installed.length > 0) {
        const info = mod.nativeBlasInfo?.();
        return { installed: r.installed, info: info ? { gemm: info.gemm ?? 'openblas', threads: info.threads } : undefined };
      }
      reason = r.reason ?? 'no native kernel could be installed';
    } else reason = avail.reason ?? 'the addon is not built';
  }
  if (mode === 'require') {
    throw new DiagnosticError({
      code: 'runtime/native-kernels',
      pointer: '/runtime/nativeKernels',
      message: `runtime.nativeKernels is "require", but ${/^native kernels are off/.test(reason) ? reason : 'native kernels are off: ' + reason}`,
      fix: 'apt-get install libopenblas-dev g++ make python3, then npm rebuild @rlhfjs/native-kernels; or set nativeKernels: allow',
    });
  }
  if (!nativeNoticeShown) {
    nativeNoticeShown = true;
    const line = /^native kernels are off/.test(reason) ? reason : `native kernels are off: ${reason}; to turn them on: apt-get install libopenblas-dev g++ make python3 && npm rebuild @rlhfjs/native-kernels`;
    process.stderr.write(`${line} (stock wasm kernels are used)\n`);
  }
  return { installed: [] };
}
let nativeNoticeShown = false;
