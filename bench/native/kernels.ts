/**
 * Per-kernel timings, stock wasm against native, on the shapes of the benchmark GPT's training
 * step (batch 16 x 64 tokens = 1024 rows, d 128, MLP 512, vocab 512). Stock and native alternate
 * rep by rep; medians are printed.
 *
 *   bench/native/run.sh kernels [--reps 30]
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as NativeKernels from '../../plugins/native-kernels/dist';
import { median } from './harness';

const nk = require(path.resolve(__dirname, '..', '..', '..', 'plugins', 'native-kernels', 'dist')) as typeof NativeKernels;

interface Case {
  label: string;
  kernels: string[];
  /** floating-point operations, for GFLOP/s (matmuls) */
  flops?: number;
  make(): tf.Tensor[];
  run(inputs: tf.Tensor[]): tf.Tensor | tf.Tensor[];
}

const N = 1024;
const D = 128;
const CASES: Case[] = [
  { label: 'matMul [1024,128] x [128,512]', kernels: ['BatchMatMul'], flops: 2 * N * D * 512, make: () => [tf.randomNormal([N, D]), tf.randomNormal([D, 512])], run: ([a, b]) => tf.matMul(a, b) },
  { label: 'matMul [1024,512]^T x [1024,128] (weight grad)', kernels: ['BatchMatMul'], flops: 2 * N * D * 512, make: () => [tf.randomNormal([N, 512]), tf.randomNormal([N, D])], run: ([a, b]) => tf.matMul(a, b, true, false) },
  { label: 'matMul [16,4,64,32] x [16,4,64,32]^T (scores)', kernels: ['BatchMatMul'], flops: 2 * 64 * 64 * 64 * 32, make: () => [tf.randomNormal([16, 4, 64, 32]), tf.randomNormal([16, 4, 64, 32])], run: ([a, b]) => tf.matMul(a, b, false, true) },
  { label: 'exp [1024,512]', kernels: ['Exp'], make: () => [tf.randomNormal([N, 512])], run: ([x]) => tf.exp(x) },
  { label: 'tanh [1024,512]', kernels: ['Tanh'], make: () => [tf.randomNormal([N, 512])], run: ([x]) => tf.tanh(x) },
  { label: 'sum [1024,512] over the last axis', kernels: ['Sum'], make: () => [tf.randomNormal([N, 512])], run: ([x]) => tf.sum(x, -1) },
  { label: 'sum [1024,512] over the first axis (bias grad)', kernels: ['Sum'], make: () => [tf.randomNormal([N, 512])], run: ([x]) => tf.sum(x, 0) },
  { label: 'add [1024,512] + [512]', kernels: ['Add'], make: () => [tf.randomNormal([N, 512]), tf.randomNormal([512])], run: ([a, b]) => tf.add(a, b) },
  { label: 'mul [1024,128] * [1024,1]', kernels: ['Multiply'], make: () => [tf.randomNormal([N, D]), tf.randomNormal([N, 1])], run: ([a, b]) => tf.mul(a, b) },
  { label: 'cast int32 -> float32 [1024,512]', kernels: ['Cast'], make: () => [tf.cast(tf.randomUniform([N, 512], 0, 9), 'int32')], run: ([x]) => tf.cast(x, 'float32') },
  { label: 'split [1024,384] into 3 on axis 1', kernels: ['SplitV'], make: () => [tf.randomNormal([N, 384])], run: ([x]) => tf.split(x, 3, 1) },
  { label: 'transpose [16,64,4,32] -> [16,4,64,32]', kernels: ['Transpose'], make: () => [tf.randomNormal([16, 64, 4, 32])], run: ([x]) => tf.transpose(x, [0, 2, 1, 3]) },
  { label: 'GELU [1024,512]: composed vs fused', kernels: ['FusedGelu'], make: () => [tf.randomNormal([N, 512])], run: ([x]) => nk.geluTanh(tf, x) },
  { label: 'LayerNorm [1024,128]: composed vs fused', kernels: ['FusedLayerNorm'], make: () => [tf.randomNormal([N, D]), tf.ones([D]), tf.zeros([D])], run: ([x, g, b]) => nk.layerNorm(tf, x, g, b) },
  { label: 'token log-probs [1024,512]: composed vs fused', kernels: ['FusedTokenLogprobs'], make: () => [tf.randomNormal([N, 512]), tf.cast(tf.randomUniform([N], 0, 511), 'int32')], run: ([l, t]) => nk.tokenLogprobs(tf, l, t) },
];

function timeOnce(c: Case, inputs: tf.Tensor[]): number {
  const t0 = performance.now();
  const out = c.run(inputs);
  // the wasm backend computes synchronously; reading one value makes sure the work is done
  (Array.isArray(out) ? out[0] : out).dataSync();
  const dt = performance.now() - t0;
  tf.dispose(out);
  return dt;
}

async function main(): Promise<void> {
  let reps = 30;
  const args = process.argv.slice(2);
  if (args[0] === '--reps') reps = Number(args[1]);
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps needs a positive integer');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error(`wanted the wasm backend, got ${tf.getBackend()}`);
  const avail = nk.nativeKernelsAvailable();
  if (!avail.ok) throw new Error(avail.reason);
  console.log(`median ms per call over ${reps} alternating reps (stock | native)`);
  for (const c of CASES) {
    const inputs = c.make();
    const stock: number[] = [];
    const native: number[] = [];
    for (let r = 0; r < reps + 2; r++) {
      nk.uninstallNativeKernels(tf);
      const s = timeOnce(c, inputs);
      nk.installNativeKernels(tf, { kernels: c.kernels, threads: 1 });
      const n = timeOnce(c, inputs);
      if (r >= 2) {
        stock.push(s);
        native.push(n);
      }
    }
    const ms = median(stock);
    const mn = median(native);
    const gflops = c.flops ? `  ${(c.flops / ms / 1e6).toFixed(1)} -> ${(c.flops / mn / 1e6).toFixed(1)} GFLOP/s` : '';
    console.log(`${c.label.padEnd(50)} ${ms.toFixed(3).padStart(8)} | ${mn.toFixed(3).padStart(8)} ms  ${(ms / mn).toFixed(1).padStart(5)}x${gflops}`);
    tf.dispose(inputs);
  }
  nk.uninstallNativeKernels(tf);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
