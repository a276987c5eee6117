/**
 * The GPT on the wasm backend with the native kernels on: its ops switch to matMul transpose
 * flags and the fused GELU, LayerNorm and token log-prob ops, and the policy optimizer to the fused
 * Adam. These tests show that the switch happens and that the numbers stay those of the stock path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamOptimizer, createTensorRuntime, nativeKernelActive, packRollout, Rng } from '@rlhfjs/core';
import { installNativeKernels, nativeKernelCounts, nativeKernelsAvailable, uninstallNativeKernels } from '@rlhfjs/native-kernels';
import type { GPTConfig } from './config';
import { tinyModel, tinyTokenizer } from './testing/tiny';

const describeNative = nativeKernelsAvailable().ok ? describe : describe.skip;

beforeAll(async () => {
  // the runner's own backend set-up; the tests install and remove the native kernels themselves
  const rt = await createTensorRuntime({ backend: 'wasm', nativeKernels: 'forbid' });
  expect(rt.tf.getBackend()).toBe('wasm');
});

afterAll(() => uninstallNativeKernels(tf));

const tokenizer = tinyTokenizer();
const ROWS = [
  [5, 17, 40, 41, 42, 9, 3, 77, 120, 6, 11, 250],
  [8, 8, 30, 31, 90, 2, 150, 151, 12, 13, 14, 15],
  [100, 101, 102, 7, 7, 7, 60, 61, 62, 63, 64, 65],
];

interface Run {
  losses: number[];
  entropy: number[];
  values: number[];
}

/** A few Adam steps on next-token loss plus a value regression, from the same initial weights. */
function train(over: Partial<GPTConfig>, steps = 6): Run {
  const model = tinyModel(tf, { valueHead: true, ...over }, 11, tokenizer);
  const packed = packRollout(tf, { promptIds: ROWS.map((r) => r.slice(0, 3)), responseIds: ROWS.map((r) => r.slice(3)) }, tokenizer.padId);
  const opt = adamOptimizer(tf, 3e-3);
  const losses: number[] = [];
  const first = tf.tidy(() => {
    const out = model.forward(packed.batch, { entropy: true, values: true });
    return [out.entropy as tf.Tensor, out.values as tf.Tensor];
  });
  const [entropy, values] = first.map((t) => Array.from(t.dataSync()));
  tf.dispose(first);
  for (let i = 0; i < steps; i++) {
    const loss = opt.minimize(() => {
      const out = model.forward(packed.batch, { entropy: true, values: true });
      const mask = packed.responseMask;
      const nll = tf.neg(tf.div(tf.sum(tf.mul(out.logprobs, mask)), tf.sum(mask)));
      return tf.add(nll, tf.mul(0.1, tf.mean(tf.square(tf.sub(out.values as tf.Tensor, 1))))) as tf.Scalar;
    }, true, model.trainableVariables());
    losses.push((loss as tf.Scalar).dataSync()[0]);
    loss?.dispose();
  }
  opt.dispose();
  packed.batch.ids.dispose();
  packed.batch.attentionMask.dispose();
  packed.responseMask.dispose();
  model.dispose();
  return { losses, entropy, values };
}

function expectClose(native: number[], stock: number[], tol: number, what: string): void {
  expect(native).toHaveLength(stock.length);
  const worst = native.reduce((m, v, i) => Math.max(m, Math.abs(v - stock[i])), 0);
  if (!(worst < tol)) throw new Error(`${what}: native and stock differ by ${worst} (tolerance ${tol})\nstock  ${stock.join(', ')}\nnative ${native.join(', ')}`);
}

describeNative('GPTModel with the native kernels on', () => {
  for (const tieEmbeddings of [true, false]) {
    it(`runs the fused ops and follows the stock loss curve to 4 decimals (${tieEmbeddings ? 'tied' : 'separate'} output head)`, () => {
      uninstallNativeKernels(tf);
      expect(nativeKernelActive(tf, 'BatchMatMul')).toBe(false);
      nativeKernelCounts(true);
      const stock = train({ tieEmbeddings });
      // nothing native ran while the kernels were off
      expect(nativeKernelCounts(true).native).toEqual({});

      installNativeKernels(tf);
      expect(nativeKernelActive(tf, 'BatchMatMul')).toBe(true);
      const native = train({ tieEmbeddings });
      const ran = nativeKernelCounts(true).native;
      uninstallNativeKernels(tf);

      for (const k of ['BatchMatMul', 'RlhfjsGeluTanh', 'RlhfjsGeluTanhGrad', 'RlhfjsLayerNorm', 'RlhfjsLayerNormGrad', 'RlhfjsTokenLogprobs', 'RlhfjsTokenLogprobsGrad', 'RlhfjsEntropy', 'RlhfjsAdamStep', 'GatherV2']) {
        if (!((ran[k] ?? 0) > 0)) throw new Error(`native kernel ${k} never ran; ran: ${JSON.stringify(ran)}`);
      }
      // the model learns, and the native path follows it
      expect(stock.losses[5]).toBeLessThan(stock.losses[0] - 0.3);
      expectClose(native.losses, stock.losses, 5e-5, 'loss');
      expectClose(native.entropy, stock.entropy, 1e-4, 'entropy');
      expectClose(native.values, stock.values, 1e-4, 'values');
    });
  }

  it('generates the same tokens with the KV cache as the stock path', async () => {
    const sample = async () => {
      const model = tinyModel(tf, { valueHead: true }, 3, tokenizer);
      const r = await model.generate([[5, 17, 40], [8, 8]], { maxNewTokens: 8, temperature: 1, topK: 0, topP: 1, stop: [] }, new Rng(21));
      model.dispose();
      return r;
    };
    uninstallNativeKernels(tf);
    const stock = await sample();
    installNativeKernels(tf);
    const native = await sample();
    uninstallNativeKernels(tf);
    expect(native.responseIds).toEqual(stock.responseIds);
    expectClose(native.responseLogprobs.flat(), stock.responseLogprobs.flat(), 1e-4, 'sampling log-probs');
    expectClose((native.values ?? []).flat(), (stock.values ?? []).flat(), 1e-4, 'values');
  });
});
