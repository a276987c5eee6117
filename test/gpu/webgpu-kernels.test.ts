/**
 * Which kernels a training step, a generation step and one iteration of each online algorithm
 * dispatch on the webgpu backend, checked statically against the kernels
 * @tensorflow/tfjs-backend-webgpu 4.22 registers, so that it runs on a machine without a GPU.
 *
 * The step runs on a stand-in backend registered under the name "webgpu" (tfjs's CPU backend and
 * CPU kernels): the model code sees `tf.getBackend() === 'webgpu'` and picks its WebGPU
 * formulations, every kernel it dispatches is recorded (core's traceKernels), and a synchronous
 * read of a tensor (dataSync/arraySync), which the real webgpu backend cannot do in Node, fails.
 * The WebGPU kernel list is read from the package's own registrations before the stand-in
 * replaces them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { AdamW, ensureGradients, kernelNames, packRollout, disposePacked, Rng, traceKernels, type KernelCall } from '@rlhfjs/core';
import { maxAbsDiff, parityCase, tinyModel, tinyTokenizer } from '@rlhfjs/plugin-lm/testing';
import { iteration, ONLINE, SAMPLING } from './online-iteration';

let webgpuKernels: Set<string>;
const SYNC = 'synchronous read on the stand-in webgpu backend';

beforeAll(async () => {
  // the package registers its kernels for "webgpu" on load (its backend only where navigator.gpu exists)
  require('@tensorflow/tfjs-backend-webgpu');
  webgpuKernels = new Set(tf.getKernelsForBackend('webgpu').map((k) => k.kernelName));
  for (const k of webgpuKernels) tf.unregisterKernel(k, 'webgpu');
  for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'webgpu' });
  tf.registerBackend('webgpu', () => new MathBackendCPU(), 0);
  ensureGradients(tf);
  const engine = tf.engine() as unknown as { readSync(id: object): unknown; backendName: string };
  const readSync = engine.readSync.bind(engine);
  engine.readSync = (id: object) => {
    if (engine.backendName === 'webgpu') throw new Error(SYNC);
    return readSync(id);
  };
});

async function onStandIn(): Promise<void> {
  await tf.setBackend('webgpu');
  expect(tf.getBackend()).toBe('webgpu');
}

describe('webgpu: every kernel a step dispatches is a WebGPU kernel', () => {
  test('the WebGPU kernel list was read from the package', () => {
    // a few it must have, and one it has not (LogSoftmax is a composite op in tfjs-core 4.22)
    for (const k of ['BatchMatMul', 'Softmax', 'GatherV2', 'UnsortedSegmentSum', 'Multinomial']) expect(webgpuKernels.has(k)).toBe(true);
    expect(webgpuKernels.has('LogSoftmax')).toBe(false);
    expect(webgpuKernels.size).toBeGreaterThan(150);
  });

  test('the stand-in refuses a synchronous read, as the webgpu backend does in Node', async () => {
    await onStandIn();
    const t = tf.add(tf.tensor1d([1, 2]), 1);
    expect(() => t.dataSync()).toThrow(SYNC);
    expect(Array.from(await t.data())).toEqual([2, 3]);
    t.dispose();
  });

  test('GPT training step (forward, log-probs, backward, clipped AdamW) and generation', async () => {
    await onStandIn();
    const tok = tinyTokenizer();
    const all: KernelCall[] = [];
    for (const tie of [true, false]) {
      const model = tinyModel(tf, { valueHead: true, tieEmbeddings: tie }, 5, tok);
      const packed = packRollout(tf, { promptIds: [[1, 5, 6], [1, 7]], responseIds: [[8, 9, 10], [11, 12, 13, 14]] }, tok.padId);
      const adam = new AdamW(tf, model.trainableVariables(), { learningRate: 1e-3, maxGradNorm: 0.5, owner: { plugin: 'test', pointer: '/' } });
      const train = await traceKernels(tf, () =>
        adam.stepAsync(() => {
          const out = model.forward(packed.batch, { values: true, entropy: true });
          return tf.add(tf.neg(tf.mean(out.logprobs)), tf.add(tf.mean(tf.square(out.values!)), tf.mean(out.entropy!))) as tf.Scalar;
        }, { step: 0 }),
      );
      expect(train.result.applied).toBe(true);
      const gen = await traceKernels(tf, () => model.generate([[1, 5, 6], [1, 7]], SAMPLING, new Rng(9)));
      expect(gen.result.responseIds.map((r) => r.length)).toEqual([5, 5]);
      all.push(...train.calls, ...gen.calls);
      adam.dispose();
      disposePacked(packed);
      model.dispose();
    }
    expect(all.filter((c) => c.backend !== 'webgpu')).toEqual([]);
    const names = kernelNames(all);
    // the WebGPU formulations: device-side embedding gradient, matMul with transpose flags
    expect(names).toEqual(expect.arrayContaining(['UnsortedSegmentSum', 'BatchMatMul', 'GatherV2', 'Softmax']));
    expect(names.filter((k) => !webgpuKernels.has(k))).toEqual([]);
  });

  test.each(ONLINE)('one %s iteration: generation, reference log-probs, reward-model scores, update', async (name, options, valueHead) => {
    await onStandIn();
    const { calls } = await traceKernels(tf, () => iteration(tf, name, options, valueHead));
    expect(calls.length).toBeGreaterThan(100);
    expect(calls.filter((c) => c.backend !== 'webgpu')).toEqual([]);
    expect(kernelNames(calls).filter((k) => !webgpuKernels.has(k))).toEqual([]);
  });

  test('the WebGPU formulations compute what the default ones compute (CPU kernels under both)', async () => {
    await tf.setBackend('cpu');
    const ref = await parityCase(tf);
    await onStandIn();
    const gpuForm = await parityCase(tf);
    expect(maxAbsDiff(gpuForm.logprobs, ref.logprobs)).toBeLessThan(1e-5);
    expect(maxAbsDiff(gpuForm.weightsAfterStep, ref.weightsAfterStep)).toBeLessThan(1e-5);
    expect(Math.abs(gpuForm.values['grad_norm'] - ref.values['grad_norm'])).toBeLessThan(1e-4 * ref.values['grad_norm']);
    // the step moved the weights: the comparison is not of two untouched copies
    const before = await (async () => {
      const m = tinyModel(tf, { valueHead: true }, 11, tinyTokenizer());
      const out: number[] = [];
      for (const [, t] of [...m.namedWeights().entries()].sort(([a], [b]) => (a < b ? -1 : 1))) out.push(...(await t.data()));
      m.dispose();
      return out;
    })();
    expect(maxAbsDiff(before, ref.weightsAfterStep)).toBeGreaterThan(1e-3);
  });
});
