/**
 * Matmul GFLOP/s on the project's shapes, every GEMM side by side in one process: the stock tfjs
 * wasm kernel, the package's own GEMM (portable kernel, then the SIMD kernel this CPU runs) and
 * OpenBLAS where the addon links it, on one thread; then the own GEMM and OpenBLAS on every core
 * (the own GEMM splits C by row and column blocks, OpenBLAS only by whole batch matrices, so that
 * both give the same bits at any thread count). Setups alternate rep by rep; medians are printed.
 *
 *   bench/native/run.sh gemm [--reps 15]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as NativeKernels from '../../plugins/native-kernels/dist';
import { median } from './harness';

const nk = require(path.resolve(__dirname, '..', '..', '..', 'plugins', 'native-kernels', 'dist')) as typeof NativeKernels;

interface Shape {
  label: string;
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

// The benchmark GPT (bench/native/tiny-gpt.ts: 16 x 64 tokens, d 128, MLP 512, vocab 512, 4
// heads) and GPT-2 small (8 x 64 tokens, d 768, MLP 3072, 12 heads; the 124M shape of the issue).
const SHAPES: Shape[] = [
  { label: 'tiny: [1024,128] x [128,512] (MLP up)', a: [1024, 128], b: [128, 512], ta: false, tb: false },
  { label: 'tiny: [1024,512] x [128,512]^T (MLP down, dx)', a: [1024, 512], b: [128, 512], ta: false, tb: true },
  { label: 'tiny: [1024,512]^T x [1024,128] (weight grad)', a: [1024, 512], b: [1024, 128], ta: true, tb: false },
  { label: 'tiny: [1024,128] x [512,128]^T (logits)', a: [1024, 128], b: [512, 128], ta: false, tb: true },
  { label: 'tiny: [16,4,64,32] x [16,4,64,32]^T (scores)', a: [16, 4, 64, 32], b: [16, 4, 64, 32], ta: false, tb: true },
  { label: 'tiny: [16,4,64,64] x [16,4,64,32] (attn x V)', a: [16, 4, 64, 64], b: [16, 4, 64, 32], ta: false, tb: false },
  { label: '124M: [512,768] x [768,2304] (qkv)', a: [512, 768], b: [768, 2304], ta: false, tb: false },
  { label: '124M: [512,768] x [768,3072] (MLP up)', a: [512, 768], b: [768, 3072], ta: false, tb: false },
  { label: '124M: [512,3072]^T x [512,768] (weight grad)', a: [512, 3072], b: [512, 768], ta: true, tb: false },
  { label: '124M: [8,12,64,64] x [8,12,64,64]^T (scores)', a: [8, 12, 64, 64], b: [8, 12, 64, 64], ta: false, tb: true },
];

function flops(s: Shape): number {
  const ra = s.a.length;
  const m = s.ta ? s.a[ra - 1] : s.a[ra - 2];
  const k = s.ta ? s.a[ra - 2] : s.a[ra - 1];
  const n = s.tb ? s.b[s.b.length - 2] : s.b[s.b.length - 1];
  const batch = s.a.slice(0, -2).reduce((x, y) => x * y, 1);
  return 2 * batch * m * n * k;
}

interface Setup {
  label: string;
  /** null: stock wasm */
  gemm: NativeKernels.GemmName | null;
  threads: number;
}

function activate(s: Setup): void {
  nk.uninstallNativeKernels(tf);
  if (s.gemm === null) return;
  nk.installNativeKernels(tf, { kernels: ['BatchMatMul'], gemm: s.gemm, threads: s.threads });
}

function timeOnce(s: Shape, a: tf.Tensor, b: tf.Tensor): number {
  const t0 = performance.now();
  const out = tf.matMul(a, b, s.ta, s.tb);
  out.dataSync(); // the wasm backend computes synchronously; this makes sure
  const dt = performance.now() - t0;
  out.dispose();
  return dt;
}

async function main(): Promise<void> {
  let reps = 15;
  const args = process.argv.slice(2);
  if (args[0] === '--reps') reps = Number(args[1]);
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps needs a positive integer');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error(`wanted the wasm backend, got ${tf.getBackend()}`);
  const avail = nk.nativeKernelsAvailable();
  if (!avail.ok) throw new Error(avail.reason);
  const info = nk.nativeBlasInfo();
  const gemms = info?.gemms ?? [];
  const cores = os.availableParallelism();
  const own = gemms.filter((g) => g !== 'openblas');
  const setups: Setup[] = [{ label: 'stock wasm', gemm: null, threads: 1 }];
  for (const g of own) setups.push({ label: g, gemm: g, threads: 1 });
  if (gemms.includes('openblas')) setups.push({ label: 'openblas', gemm: 'openblas', threads: 1 });
  if (cores > 1) {
    setups.push({ label: `${own[own.length - 1]} x${cores}`, gemm: own[own.length - 1], threads: cores });
    if (gemms.includes('openblas')) setups.push({ label: `openblas x${cores}`, gemm: 'openblas', threads: cores });
  }
  console.log(`addon: ${info?.blas || 'no OpenBLAS'}; GEMMs ${gemms.join(', ')}; ${cores} cores (${os.cpus()[0]?.model ?? '?'})`);
  console.log(`GFLOP/s, median of ${reps} alternating reps (xN: N threads)\n`);
  const width = 48;
  console.log(`${'shape'.padEnd(width)} ${setups.map((s) => s.label.padStart(13)).join(' ')}`);
  for (const shape of SHAPES) {
    const a = tf.randomNormal(shape.a);
    const b = tf.randomNormal(shape.b);
    const times = setups.map((): number[] => []);
    for (let r = 0; r < reps + 1; r++) {
      setups.forEach((s, i) => {
        activate(s);
        const dt = timeOnce(shape, a, b);
        if (r > 0) times[i].push(dt);
      });
    }
    const f = flops(shape);
    console.log(`${shape.label.padEnd(width)} ${times.map((t) => (f / median(t) / 1e6).toFixed(1).padStart(13)).join(' ')}`);
    tf.dispose([a, b]);
  }
  nk.uninstallNativeKernels(tf);
  nk.setNativeGemm('auto');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
