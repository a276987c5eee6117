/**
 * Numerical parity of the webgpu backend with the wasm backend on the project's GPT: forward
 * log-probs and the weights after one AdamW step, to 1e-4. Runs on any WebGPU adapter Dawn finds;
 * where there is none (no GPU, no Vulkan loader or driver) it prints why it skipped.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createTensorRuntime, DiagnosticError } from '@rlhfjs/core';
import { maxAbsDiff, parityCase, type ParityResult } from '@rlhfjs/plugin-lm/testing';

const TOL = 1e-4;

describe('webgpu parity with wasm', () => {
  let ref: ParityResult;
  let gpu: ParityResult | undefined;
  let skipped = '';

  beforeAll(async () => {
    await createTensorRuntime({ backend: 'wasm', nativeKernels: 'forbid' });
    ref = await parityCase(tf);
    try {
      const rt = await createTensorRuntime({ backend: 'webgpu' });
      console.log(`webgpu adapter: ${JSON.stringify(rt.gpu)}`);
      gpu = await parityCase(tf);
    } catch (err) {
      const code = DiagnosticError.is(err) ? err.diagnostics[0].code : '';
      if (code !== 'runtime/no-gpu-adapter' && code !== 'runtime/backend-not-installed') throw err;
      skipped = `SKIPPED webgpu parity (no GPU here): ${(err as Error).message}`;
      console.log(skipped);
    } finally {
      await tf.setBackend('wasm');
    }
  }, 120000);

  test('forward log-probs of the GPT agree to 1e-4', () => {
    if (!gpu) return void expect(skipped).toMatch(/^SKIPPED webgpu parity/);
    expect(gpu.logprobs.length).toBe(ref.logprobs.length);
    expect(maxAbsDiff(gpu.logprobs, ref.logprobs)).toBeLessThan(TOL);
  });

  test('the weights after one AdamW step agree to 1e-4', () => {
    if (!gpu) return void expect(skipped).toMatch(/^SKIPPED webgpu parity/);
    expect(maxAbsDiff(gpu.weightsAfterStep, ref.weightsAfterStep)).toBeLessThan(TOL);
    expect(Math.abs(gpu.values['loss/total'] - ref.values['loss/total'])).toBeLessThan(TOL);
  });
});
