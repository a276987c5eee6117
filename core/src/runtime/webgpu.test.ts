/**
 * The webgpu backend's start-up on this machine, for real: the `webgpu` package (Dawn) is
 * installed, and Dawn finds no GPU here unless one is present. The tests that need "no adapter"
 * check that first and say so when this machine does have one. Dawn's "null" backend (an adapter
 * that computes nothing) exercises the path past the adapter: registration, the report, the guards.
 */
import { DiagnosticError } from '../diagnostics';
import { createTensorRuntime, autoOrder } from './backend';
import { dawnOptions, probeGpuSystem, SYNC_READ_MESSAGE, WEBGPU_ENV } from './webgpu';
import { buildManifest } from './manifest';

/** The parts of a loaded recipe the manifest reads. */
const LOADED = { registry: { packages: new Map() }, packages: [], source: { file: 'r.yaml' }, baseDir: '/', recipe: { name: 'r', job: { use: 'rl' }, runtime: { seed: 1 } } } as never;

/** The optional packages: absent where npm dropped them (then the tests that need them say so). */
function installed(): boolean {
  try {
    require.resolve('webgpu/package.json');
    require.resolve('@tensorflow/tfjs-backend-webgpu');
    return true;
  } catch {
    console.log('skipped: the optional packages webgpu / @tensorflow/tfjs-backend-webgpu are not installed');
    return false;
  }
}

async function adapterPresent(): Promise<boolean> {
  const p = require('node:path') as typeof import('node:path');
  const dawn = require(p.join(p.dirname(require.resolve('webgpu/package.json')), 'dist', `${process.platform}-${process.arch}`, 'dawn.node')) as { create(o: string[]): { requestAdapter(): Promise<unknown> } };
  return (await dawn.create([]).requestAdapter()) !== null;
}

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.values(WEBGPU_ENV)) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  jest.restoreAllMocks();
});

describe('webgpu backend', () => {
  test('auto tries webgpu only when the recipe allows GPUs', () => {
    expect(autoOrder(false)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm']);
    expect(autoOrder(true)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']);
  });

  test('Dawn options come from $RLHFJS_DAWN_OPTIONS, ";"-separated', () => {
    expect(dawnOptions({ RLHFJS_DAWN_OPTIONS: 'adapter=NVIDIA H200; backend=vulkan ;' })).toEqual(['adapter=NVIDIA H200', 'backend=vulkan']);
    expect(dawnOptions({})).toEqual([]);
  });

  test('no adapter: an error that names the backend and what the machine has', async () => {
    if (!installed()) return;
    if (await adapterPresent()) {
      console.log('skipped: this machine has a GPU adapter, so the no-adapter error cannot be shown here');
      return;
    }
    const err = await createTensorRuntime({ backend: 'webgpu' }).catch((e: unknown) => e);
    expect(DiagnosticError.is(err)).toBe(true);
    const d = (err as DiagnosticError).diagnostics[0];
    expect(d.code).toBe('runtime/no-gpu-adapter');
    expect(d.pointer).toBe('/runtime/backend');
    expect(d.message).toContain('backend webgpu: Dawn found no GPU adapter');
    for (const line of probeGpuSystem()) expect(d.message).toContain(line);
    expect(d.fix).toContain('backend: wasm');
    // navigator.gpu is not left behind (it would keep Node from exiting)
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
  });

  test('auto with gpu: true says in one line why webgpu did not start and takes the next backend', async () => {
    if (!installed()) return;
    if (await adapterPresent()) {
      console.log('skipped: this machine has a GPU adapter, so auto would take it');
      return;
    }
    const lines: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const rt = await createTensorRuntime({ backend: 'auto', gpu: true, nativeKernels: 'forbid' });
    expect(rt.backend).toBe('wasm');
    expect(rt.gpu).toBeUndefined();
    const notice = lines.filter((l) => l.includes('webgpu'));
    expect(notice).toHaveLength(1);
    expect(notice[0]).toMatch(/^runtime\.backend auto: webgpu did not start \(backend webgpu: Dawn found no GPU adapter\. .*\); trying tensorflow\n$/);
  });

  test('a missing Dawn binary is the not-installed error with the install command', async () => {
    process.env[WEBGPU_ENV.dawnNode] = '/nonexistent/dawn.node';
    const err = await createTensorRuntime({ backend: 'webgpu' }).catch((e: unknown) => e);
    const d = (err as DiagnosticError).diagnostics[0];
    expect(d.code).toBe('runtime/backend-not-installed');
    expect(d.message).toContain('there is no Dawn binary');
    expect(d.fix).toContain('npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0');
  });

  test('a missing @tensorflow/tfjs-backend-webgpu is the not-installed error', async () => {
    if (!installed()) return;
    process.env[WEBGPU_ENV.dawnOptions] = 'backend=null';
    jest.doMock('@tensorflow/tfjs-backend-webgpu', () => {
      throw Object.assign(new Error("Cannot find module '@tensorflow/tfjs-backend-webgpu' from 'webgpu.ts'"), { code: 'MODULE_NOT_FOUND' });
    });
    try {
      const err = await createTensorRuntime({ backend: 'webgpu' }).catch((e: unknown) => e);
      const d = (err as DiagnosticError).diagnostics[0];
      expect(d).toMatchObject({ code: 'runtime/backend-not-installed', message: 'runtime.backend is "webgpu", but @tensorflow/tfjs-backend-webgpu is not installed' });
    } finally {
      jest.dontMock('@tensorflow/tfjs-backend-webgpu');
    }
  });

  test('on an adapter (Dawn\'s null backend): registered, reported, no CPU forwarding, sync reads refused clearly', async () => {
    if (!installed()) return;
    process.env[WEBGPU_ENV.dawnOptions] = 'backend=null';
    const rt = await createTensorRuntime({ backend: 'webgpu' });
    expect(rt.backend).toBe('webgpu');
    expect(rt.tf.getBackend()).toBe('webgpu');
    expect(rt.gpu).toMatchObject({ api: 'webgpu', device: 'null-backend', dawnOptions: ['backend=null'] });
    expect(rt.gpu!.limits.maxBufferSize).toBeGreaterThan(0);
    expect(rt.gpu!.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThan(0);
    expect(rt.tf.env().getBool('WEBGPU_CPU_FORWARD')).toBe(false);
    // the null device computes nothing, but a computed tensor lives on it: a sync read must fail clearly
    const t = rt.tf.add(rt.tf.tensor1d([1, 2, 3]), 1);
    expect(() => t.dataSync()).toThrow(SYNC_READ_MESSAGE);
    await t.data();
    t.dispose();
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    // the manifest reports the adapter (and has no gpu entry on a CPU backend)
    const m = buildManifest(LOADED, rt, ['rlhf', 'train']);
    expect(m.backend).toBe('webgpu');
    expect(m.gpu).toEqual(rt.gpu);
    expect('gpu' in buildManifest(LOADED, { tf: rt.tf, backend: 'wasm', nativeKernels: [] }, [])).toBe(false);
  });
});
