/**
 * A small GPT trained for a few Adam steps with stock wasm kernels and again with every native
 * kernel and the fused GELU/LayerNorm ops: the loss curves must agree to 4 decimals at every step. The model is the benchmark's
 * (bench/native/tiny-gpt.ts) at a test-sized configuration.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startWasmBackend } from './testing';
import { BENCH_CONFIG, makeBatch, TinyGpt, type TinyGptConfig, type TinyGptOps } from '../../../bench/native/tiny-gpt';
import { adam, geluTanh, installNativeKernels, layerNorm, NATIVE_KERNEL_NAMES, tokenLogprobs, nativeKernelCounts, nativeKernelsAvailable, uninstallNativeKernels } from './index';

/** The fused ops; they run natively only while their kernels are installed. */
const FUSED: TinyGptOps = { gelu: geluTanh, layerNorm, tokenLogprobs, adam: (t, lr) => adam(t, lr) };

const describeNative = nativeKernelsAvailable().ok ? describe : describe.skip;

const CFG: TinyGptConfig = {
  ...BENCH_CONFIG,
  vocab: 48,
  dModel: 32,
  layers: 2,
  heads: 4,
  seq: 16,
  batch: 6,
  lr: 3e-3,
  explicitTransposeGrad: false,
};
const STEPS = 12;

beforeAll(async () => {
  await startWasmBackend(tf);
});

afterAll(() => uninstallNativeKernels(tf));

function curve(cfg: TinyGptConfig, steps = STEPS, ops: TinyGptOps = {}): number[] {
  const model = new TinyGpt(tf, cfg, ops);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { ids, targets } = makeBatch(tf, cfg, step);
    losses.push(model.step(ids, targets));
    ids.dispose();
    targets.dispose();
  }
  model.dispose();
  return losses;
}

describeNative('training with native kernels', () => {
  it('follows the stock wasm loss curve to 4 decimals', () => {
    uninstallNativeKernels(tf);
    const stock = curve(CFG);
    expect(installNativeKernels(tf).installed).toEqual([...NATIVE_KERNEL_NAMES]);
    nativeKernelCounts(true);
    const native = curve(CFG, STEPS, FUSED);
    const ran = nativeKernelCounts(true).native;
    uninstallNativeKernels(tf);

    // the native path really ran, for the hot kernels of a training step
    for (const k of ['BatchMatMul', 'Sum', 'Add', 'Multiply', 'Identity', 'Cast', 'SplitV', 'Transpose', 'RlhfjsGeluTanh', 'RlhfjsGeluTanhGrad', 'RlhfjsLayerNorm', 'RlhfjsLayerNormGrad', 'RlhfjsTokenLogprobs', 'RlhfjsTokenLogprobsGrad', 'RlhfjsAdamStep']) {
      expect(ran[k] ?? 0).toBeGreaterThan(0);
    }
    // the model learns: the curve falls well below its start (ln 48 = 3.87)
    expect(stock[0]).toBeCloseTo(Math.log(CFG.vocab), 1);
    expect(stock[STEPS - 1]).toBeLessThan(stock[0] - 0.5);
    for (let i = 0; i < STEPS; i++) {
      if (Math.abs(native[i] - stock[i]) >= 5e-5) {
        throw new Error(`step ${i}: native loss ${native[i]} vs stock ${stock[i]}\nstock ${stock.join(', ')}\nnative ${native.join(', ')}`);
      }
    }
  });

  it('leaves no tensors or wasm buffers behind across training steps', () => {
    installNativeKernels(tf);
    const numDataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const model = new TinyGpt(tf, CFG, FUSED);
    const step = (i: number) => {
      const { ids, targets } = makeBatch(tf, CFG, i);
      model.step(ids, targets);
      tf.dispose([ids, targets]);
    };
    step(0); // the optimizer creates its moment variables on the first step
    const tensors = tf.memory().numTensors;
    const buffers = numDataIds();
    for (let i = 1; i <= 3; i++) step(i);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(numDataIds()).toBe(buffers);
    model.dispose();
    uninstallNativeKernels(tf);
  });

  it('follows the same curve with explicit-transpose matmul gradients', () => {
    const cfg = { ...CFG, explicitTransposeGrad: true };
    uninstallNativeKernels(tf);
    const stock = curve(cfg, 6);
    installNativeKernels(tf);
    const native = curve(cfg, 6, FUSED);
    uninstallNativeKernels(tf);
    native.forEach((v, i) => expect(Math.abs(v - stock[i])).toBeLessThan(5e-5));
  });
});
