import { DiagnosticError } from '../diagnostics';
import type { BackendChoice, BackendName, TF, TensorRuntime } from '../contract/tensor-runtime';
import { ensureGradients } from './gradients';

export interface RuntimeRequest {
  backend: BackendChoice;
  nativeKernels?: 'require' | 'allow' | 'forbid';
  threads?: number;
}

const AUTO_ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm'];

const INSTALL: Record<BackendName, { module: string; fix: string }> = {
  'tensorflow-gpu': {
    module: '@tensorflow/tfjs-node-gpu',
    fix: 'npm install @tensorflow/tfjs-node-gpu@4.22.0 (Linux with CUDA 11.8 and cuDNN 8; its install step downloads libtensorflow, which must be reachable), or use backend: wasm',
  },
  tensorflow: {
    module: '@tensorflow/tfjs-node',
    fix: 'npm install @tensorflow/tfjs-node@4.22.0 (its install step downloads libtensorflow, which must be reachable), or use backend: wasm',
  },
  wasm: { module: '@tensorflow/tfjs-backend-wasm', fix: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0' },
  cpu: { module: '@tensorflow/tfjs-backend-cpu', fix: 'npm install @tensorflow/tfjs-backend-cpu@4.22.0' },
};

/** The tfjs backend name each choice registers under. */
const TF_NAME: Record<BackendName, string> = { 'tensorflow-gpu': 'tensorflow', tensorflow: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

function isMissingModule(err: unknown, mod: string): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'MODULE_NOT_FOUND' && String(e.message).includes(mod);
}

function tfCore(): TF {
  return require('@tensorflow/tfjs-core') as TF;
}

/** Load the backend's module (lazily: nothing is loaded before a recipe is valid). */
function loadBackendModule(name: BackendName, threads: number): void {
  const mod = INSTALL[name].module;
  const m = require(mod) as { setThreadsCount?: (n: number) => void };
  if (name === 'wasm' && threads > 0) m.setThreadsCount?.(threads);
}

async function activate(name: BackendName, tf: TF, threads: number): Promise<void> {
  loadBackendModule(name, threads);
  const wanted = TF_NAME[name];
  let ok = false;
  try {
    ok = await tf.setBackend(wanted);
    await tf.ready();
  } catch (err) {
    throw new DiagnosticError({ code: 'runtime/backend-failed', message: `backend ${name} failed to start: ${(err as Error).message}`, fix: 'try backend: wasm, which is embedded' }, { exitCode: 1, cause: err });
  }
  // tfjs falls back to another backend silently when one fails to initialise: check.
  if (!ok || tf.getBackend() !== wanted) {
    throw new DiagnosticError(
      { code: 'runtime/backend-fallback', message: `backend ${name} did not start: tfjs is running "${tf.getBackend()}" instead`, fix: 'fix the backend installation, or choose that backend explicitly in runtime.backend' },
      { exitCode: 1 },
    );
  }
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
  if (req.backend === 'auto') {
    const tried: string[] = [];
    for (const name of AUTO_ORDER) {
      try {
        await activate(name, tf, threads);
        chosen = name;
        break;
      } catch (err) {
        tried.push(`${name}: ${isMissingModule(err, INSTALL[name].module) ? 'not installed' : (err as Error).message.split('\n')[0]}`);
      }
    }
    if (!chosen) throw new DiagnosticError({ code: 'runtime/no-backend', message: `no tensor backend could start (${tried.join('; ')})`, fix: INSTALL.wasm.fix }, { exitCode: 1 });
  } else {
    chosen = req.backend;
    try {
      await activate(chosen, tf, threads);
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
