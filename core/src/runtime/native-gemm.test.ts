/**
 * With @rlhfjs/native-kernels built, the runtime records which GEMM runs BatchMatMul and on how
 * many threads (what the run manifest then holds): `runtime.threads` when set, every core at 0.
 * Skipped, with a line saying so, where the addon is not built.
 */
import * as os from 'node:os';
import { createTensorRuntime } from './backend';

const nk = require('@rlhfjs/native-kernels') as { nativeKernelsAvailable(): { ok: boolean; reason?: string }; nativeBlasInfo(): { gemms: string[] } | null };
const available = nk.nativeKernelsAvailable();
if (!available.ok) console.log(`native-gemm.test.ts: skipped, ${available.reason}`);
const describeNative = available.ok ? describe : describe.skip;

describeNative('native kernels in the tensor runtime', () => {
  it('records the GEMM and the thread count of runtime.threads', async () => {
    const rt = await createTensorRuntime({ backend: 'wasm', nativeKernels: 'allow', threads: 2 });
    expect(rt.nativeKernels).toContain('BatchMatMul');
    expect(nk.nativeBlasInfo()?.gemms).toContain(rt.nativeGemm);
    expect(['openblas', 'own-avx2', 'own-neon', 'own-scalar']).toContain(rt.nativeGemm);
    expect(rt.nativeThreads).toBe(2);
  });

  it('uses every core when runtime.threads is 0', async () => {
    const rt = await createTensorRuntime({ backend: 'wasm', nativeKernels: 'allow', threads: 0 });
    expect(rt.nativeThreads).toBe(Math.min(256, os.availableParallelism()));
  });
});
