import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError } from '../diagnostics';
import type { GpuAdapterReport, TF } from '../contract/tensor-runtime';

/**
 * The WebGPU backend in Node: Dawn's Node binding (the `webgpu` package, `dawn.node`) provides
 * `navigator.gpu`, and `@tensorflow/tfjs-backend-webgpu` runs the tfjs kernels on it. tfjs never
 * wired WebGPU into Node itself, so this module does: it loads Dawn, installs its WebGPU
 * constructors and enums (GPUBufferUsage, GPUMapMode, …) on globalThis, asks for an adapter and
 * registers the backend with a device made from that same adapter.
 *
 * Two guards keep a step on the GPU: the backend's CPU forwarding of small tensors
 * (WEBGPU_CPU_FORWARD) is turned off, and a synchronous read of a GPU tensor (dataSync/arraySync,
 * which tfjs does through OffscreenCanvas, absent in Node) fails with an error that says which
 * read to make asynchronous instead of "OffscreenCanvas is not defined".
 */

export const WEBGPU_PACKAGES = { dawn: 'webgpu', backend: '@tensorflow/tfjs-backend-webgpu' } as const;
export const WEBGPU_INSTALL_FIX = 'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 (both optional dependencies of @rlhfjs/core; webgpu ships Dawn prebuilt for linux-x64, linux-arm64, darwin and win32), or use backend: wasm';

/** Environment variables read here (documented in docs/gpu.md). */
export const WEBGPU_ENV = {
  /** Path of a dawn.node to load instead of the one inside the webgpu package (the GPU check bundle sets it). */
  dawnNode: 'RLHFJS_DAWN_NODE',
  /** Dawn options for `create()`, separated by ";", e.g. "adapter=NVIDIA H200" or "backend=vulkan". */
  dawnOptions: 'RLHFJS_DAWN_OPTIONS',
} as const;

interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: Record<string, unknown>;
  limits: Record<string, unknown>;
  features: Iterable<string> & { has(f: string): boolean };
  requestDevice(desc?: unknown): Promise<unknown>;
}

/** The limits reported in the manifest (numbers from GPUSupportedLimits). */
const REPORTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/** The limits tfjs-backend-webgpu asks the device for (the adapter's own maxima, as its factory does). */
const REQUESTED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

function notInstalled(what: string, cause: unknown, pointer: boolean): DiagnosticError {
  return new DiagnosticError(
    { code: 'runtime/backend-not-installed', ...(pointer ? { pointer: '/runtime/backend' } : {}), message: `runtime.backend is "webgpu", but ${what} is not installed`, fix: WEBGPU_INSTALL_FIX },
    { cause },
  );
}

/** Where dawn.node lives: $RLHFJS_DAWN_NODE, else inside the webgpu package for this platform. */
export function dawnNodePath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[WEBGPU_ENV.dawnNode];
  if (explicit) return path.resolve(explicit);
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${WEBGPU_PACKAGES.dawn}/package.json`));
  } catch (err) {
    throw notInstalled(`the ${WEBGPU_PACKAGES.dawn} package (Dawn for Node)`, err, true);
  }
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

function loadDawn(): DawnModule {
  const file = dawnNodePath();
  if (!fs.existsSync(file)) {
    throw new DiagnosticError({
      code: 'runtime/backend-not-installed',
      pointer: '/runtime/backend',
      message: `runtime.backend is "webgpu", but there is no Dawn binary for ${process.platform}-${process.arch} at ${file}`,
      fix: `${WEBGPU_ENV.dawnNode}=<path of a dawn.node> names one explicitly; otherwise ${WEBGPU_INSTALL_FIX}`,
    });
  }
  try {
    // a native addon: required by path (the package's own entry is an ES module that does the same)
    return require(file) as DawnModule;
  } catch (err) {
    throw new DiagnosticError(
      { code: 'runtime/backend-failed', pointer: '/runtime/backend', message: `backend webgpu: Dawn (${file}) failed to load: ${(err as Error).message.split('\n')[0]}`, fix: 'Dawn needs glibc 2.31 or newer and the Vulkan loader (libvulkan.so.1) on Linux; or use backend: wasm' },
      { exitCode: 1, cause: err },
    );
  }
}

/** Dawn options from $RLHFJS_DAWN_OPTIONS (";"-separated). */
export function dawnOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[WEBGPU_ENV.dawnOptions] ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

function listDir(dir: string, filter: (n: string) => boolean): string[] {
  try {
    return fs.readdirSync(dir).filter(filter);
  } catch {
    return [];
  }
}

/**
 * What this machine offers a GPU backend, for the "no adapter" message: the Vulkan loader, the
 * Vulkan drivers (ICD files), the GPU device nodes. Linux only; elsewhere nothing is probed.
 */
export function probeGpuSystem(env: NodeJS.ProcessEnv = process.env): string[] {
  if (process.platform !== 'linux') return [`platform ${process.platform} (nothing probed)`];
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIB_DIRS];
  const loader = dirs.map((d) => path.join(d, 'libvulkan.so.1')).find((f) => fs.existsSync(f));
  const icdDirs = env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES ? [] : ICD_DIRS;
  const icds = icdDirs.flatMap((d) => listDir(d, (n) => n.endsWith('.json')));
  const explicitIcds = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const nvidia = listDir('/dev', (n) => /^nvidia\d+$/.test(n));
  const dri = listDir('/dev/dri', (n) => n.startsWith('renderD'));
  return [
    `Vulkan loader libvulkan.so.1: ${loader ?? 'missing (apt-get install libvulkan1)'}`,
    `Vulkan drivers: ${explicitIcds ? `${explicitIcds} (from the environment)` : icds.length ? icds.join(', ') : 'none in ' + ICD_DIRS.join(', ')}`,
    `GPU devices: ${[...nvidia.map((n) => '/dev/' + n), ...dri.map((n) => '/dev/dri/' + n)].join(', ') || 'none (/dev/nvidia*, /dev/dri/renderD*)'}`,
  ];
}

type NavigatorHolder = { navigator?: { gpu?: unknown } };

/** Put `gpu` on globalThis.navigator (Node 21+ has a navigator object; Node 20 has none). */
function setNavigatorGpu(gpu: unknown): void {
  const g = globalThis as unknown as NavigatorHolder;
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true, writable: true });
}

function clearNavigatorGpu(): void {
  const nav = (globalThis as unknown as NavigatorHolder).navigator;
  if (nav && 'gpu' in nav) delete nav.gpu;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The adapter as the manifest reports it. */
export function describeAdapter(adapter: AdapterLike, options: string[]): GpuAdapterReport {
  const info = adapter.info ?? {};
  const limits: Record<string, number> = {};
  for (const k of REPORTED_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') limits[k] = v;
  }
  return {
    api: 'webgpu',
    vendor: str(info.vendor),
    architecture: str(info.architecture),
    device: str(info.device),
    description: str(info.description),
    limits,
    features: [...adapter.features].sort(),
    dawnOptions: options,
  };
}

/** Held for the life of the process: Dawn's instance backs every device it made. */
let dawnGpu: GpuLike | undefined;

/**
 * Load Dawn, find an adapter, register the `webgpu` tfjs backend on it. Throws a DiagnosticError
 * when a package is missing or when Dawn finds no adapter (naming what the machine has). Does not
 * switch backends: the caller calls tf.setBackend('webgpu').
 */
export async function prepareWebGPU(tf: TF): Promise<GpuAdapterReport> {
  // started once already in this process (a second runtime, e.g. eval after train): keep that
  // device, whose tensors stay valid
  if (prepared && prepared.tf === tf && tf.findBackend('webgpu')) return prepared.report;
  const dawn = loadDawn();
  // the constructors and enums (GPUBufferUsage, GPUMapMode, GPUTextureUsage, …) tfjs-backend-webgpu uses as globals
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
  }
  const options = dawnOptions();
  let gpu: GpuLike;
  try {
    gpu = dawn.create(options);
  } catch (err) {
    throw new DiagnosticError(
      { code: 'runtime/no-gpu-adapter', pointer: '/runtime/backend', message: `backend webgpu: Dawn refused the options ${JSON.stringify(options)} ($${WEBGPU_ENV.dawnOptions}): ${(err as Error).message.split('\n')[0]}`, fix: `fix or unset $${WEBGPU_ENV.dawnOptions}; see docs/gpu.md` },
      { exitCode: 1, cause: err },
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new DiagnosticError(
      {
        code: 'runtime/no-gpu-adapter',
        pointer: '/runtime/backend',
        message: `backend webgpu: Dawn found no GPU adapter${options.length ? ` (options ${JSON.stringify(options)})` : ''}. On this machine: ${probeGpuSystem().join('; ')}`,
        fix: 'WebGPU in Node needs a GPU with a Vulkan driver and the Vulkan loader (apt-get install libvulkan1; NVIDIA: the driver\'s Vulkan ICD); Dawn refuses software Vulkan (lavapipe). Otherwise use backend: wasm (see docs/gpu.md)',
      },
      { exitCode: 1 },
    );
  }
  let mod: { WebGPUBackend: new (device: unknown, info: unknown) => object };
  setNavigatorGpu(gpu);
  try {
    mod = require('@tensorflow/tfjs-backend-webgpu') as typeof mod;
  } catch (err) {
    clearNavigatorGpu();
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'MODULE_NOT_FOUND' && String(e.message).includes(WEBGPU_PACKAGES.backend)) throw notInstalled(WEBGPU_PACKAGES.backend, err, true);
    throw err;
  }
  dawnGpu = gpu;
  const report = describeAdapter(adapter, options);
  // our own factory on the adapter just described (the package's factory asks for another one, and
  // only registers itself when navigator.gpu existed when it was first required)
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const requiredLimits: Record<string, number> = {};
      for (const k of REQUESTED_LIMITS) {
        const v = adapter.limits[k];
        if (typeof v === 'number') requiredLimits[k] = v;
      }
      const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
      const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
      return new mod.WebGPUBackend(device, adapter.info ?? {}) as never;
    },
    3,
  );
  installGuards(tf, mod.WebGPUBackend as unknown as { prototype: Record<string, unknown> });
  prepared = { tf, report };
  return report;
}

let prepared: { tf: TF; report: GpuAdapterReport } | undefined;

/**
 * After the backend started (or failed to): navigator.gpu is read only by the backend's
 * constructor, and while it stays on globalThis Node would not exit (Dawn keeps the event loop
 * alive); the instance itself stays referenced here.
 */
export function releaseNavigatorGpu(): void {
  clearNavigatorGpu();
}



const GUARDED = '__rlhfjsReadSyncGuard';

/** The message of a synchronous read of a GPU tensor (exported for tests). */
export const SYNC_READ_MESSAGE =
  'a synchronous read (dataSync/arraySync/bufferSync) of a tensor held on the GPU: the webgpu backend cannot do it in Node (tfjs reads through OffscreenCanvas, which Node lacks); this code path must read with await tensor.data() / tensor.array()';

function installGuards(tf: TF, Backend: { prototype: Record<string, unknown> }): void {
  // no silent CPU path: small tensors whose data is on the CPU would otherwise run CPU kernels
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const proto = Backend.prototype;
  if (proto[GUARDED]) return;
  const readSync = proto.readSync as (this: { tensorMap: { get(id: object): { values?: unknown; dtype: string } } }, dataId: object) => unknown;
  proto.readSync = function (this: { tensorMap: { get(id: object): { values?: unknown; dtype: string } } }, dataId: object) {
    const data = this.tensorMap.get(dataId);
    if (data.values == null && data.dtype !== 'string' && typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined') {
      throw new Error(SYNC_READ_MESSAGE);
    }
    return readSync.call(this, dataId);
  };
  proto[GUARDED] = true;
}
