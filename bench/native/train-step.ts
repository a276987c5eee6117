/**
 * ms per training step of a small GPT (bench/native/tiny-gpt.ts): stock tfjs wasm against wasm with
 * native kernels, added group by group, and PyTorch (1 thread) running the same model. All
 * configurations run in one process, interleaved round by round, and the medians are compared.
 *
 *   bench/native/run.sh [--rounds 5] [--steps 4] [--warmup 2] [--no-torch] [--profile] [--all-only]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as NativeKernels from '../../plugins/native-kernels/dist';
import { findTorch, median, parseStepArgs, TorchWorker } from './harness';
import { BENCH_CONFIG, makeBatch, TinyGpt } from './tiny-gpt';

// the built package (npx tsc -b plugins/native-kernels); this file runs from bench/native/dist
const nk = require(path.resolve(__dirname, '..', '..', '..', 'plugins', 'native-kernels', 'dist')) as typeof NativeKernels;
const { installNativeKernels, nativeBlasInfo, nativeKernelsAvailable, uninstallNativeKernels, geluTanh, layerNorm, tokenLogprobs, adam } = nk;

/** The kernel groups in the order they were added, each measured on top of the previous ones. */
const GROUPS: { label: string; kernels: string[] }[] = [
  { label: '+ BatchMatMul', kernels: ['BatchMatMul'] },
  { label: '+ unary (Exp, Tanh, Log, Neg, Sqrt, Rsqrt, Square, ...)', kernels: ['Exp', 'Tanh', 'Log', 'Neg', 'Sqrt', 'Rsqrt', 'Square', 'Sigmoid', 'Relu', 'Abs', 'Reciprocal'] },
  { label: '+ reductions (Sum, Max, Min, Mean)', kernels: ['Sum', 'Max', 'Min', 'Mean'] },
  { label: '+ broadcast binary (Add, Sub, Multiply, RealDiv, ...)', kernels: ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference'] },
  { label: '+ Identity (no copy)', kernels: ['Identity'] },
  { label: '+ copies (Cast, SplitV, Slice, Concat, Transpose)', kernels: ['Cast', 'SplitV', 'Slice', 'Concat', 'Transpose'] },
  { label: '+ fused GELU, LayerNorm, token log-prob ops', kernels: ['FusedGelu', 'FusedLayerNorm', 'FusedTokenLogprobs'] },
  { label: '+ fused Adam', kernels: ['FusedAdam'] },
];

interface Setup {
  label: string;
  kernels: string[] | null; // null: stock wasm
  /** The GEMM behind BatchMatMul ('auto': OpenBLAS where linked) and the native kernels' threads. */
  gemm: 'auto' | 'own';
  threads: number;
  model: TinyGpt;
  times: number[];
  step: number;
  lastLoss: number;
}

function activate(kernels: string[] | null, gemm: 'auto' | 'own' = 'auto', threads = 1): void {
  uninstallNativeKernels(tf);
  if (kernels === null) return;
  const { installed, reason } = installNativeKernels(tf, { kernels, gemm, threads });
  if (installed.length !== kernels.length) throw new Error(`native kernels not installed: ${reason ?? installed.join(',')}`);
}

function runSteps(s: Setup, n: number, record: boolean): void {
  activate(s.kernels, s.gemm, s.threads);
  for (let i = 0; i < n; i++) {
    const { ids, targets } = makeBatch(tf, BENCH_CONFIG, s.step++);
    const t0 = performance.now();
    s.lastLoss = s.model.step(ids, targets);
    const dt = performance.now() - t0;
    ids.dispose();
    targets.dispose();
    if (record) s.times.push(dt);
  }
}

function profileOneStep(s: Setup): Promise<void> {
  activate(s.kernels, s.gemm, s.threads);
  const { ids, targets } = makeBatch(tf, BENCH_CONFIG, 10_000);
  return tf
    .profile(() => {
      s.model.step(ids, targets);
    })
    .then((info) => {
      const byName = new Map<string, { ms: number; calls: number }>();
      for (const k of info.kernels) {
        const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
        e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        e.calls += 1;
        byName.set(k.name, e);
      }
      const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms);
      const total = rows.reduce((t, [, e]) => t + e.ms, 0);
      const calls = rows.reduce((t, [, e]) => t + e.calls, 0);
      console.log(`\nkernel profile, ${s.label}: ${calls} kernel calls, ${total.toFixed(1)} ms inside kernels`);
      for (const [name, e] of rows.slice(0, 14)) console.log(`  ${name.padEnd(20)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.calls).padStart(5)} calls`);
      ids.dispose();
      targets.dispose();
    });
}

async function main(): Promise<void> {
  const opts = parseStepArgs(process.argv.slice(2), { rounds: 5, steps: 4, warmup: 2 }, ['profile', 'allOnly']);
  // tfjs-core's CommonJS build registers no gradients; the @tensorflow/tfjs bundle registers them
  // in the global registry that this tfjs-core shares
  if (tf.getGradient('Sum') === undefined) require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error(`wanted the wasm backend, got ${tf.getBackend()}`);
  const avail = nativeKernelsAvailable();
  if (!avail.ok) throw new Error(avail.reason);
  const cfg = BENCH_CONFIG;
  console.log(`model: vocab ${cfg.vocab}, d ${cfg.dModel}, ${cfg.layers} layers, ${cfg.heads} heads, seq ${cfg.seq}, batch ${cfg.batch}, Adam`);
  console.log(`native: ${JSON.stringify(nativeBlasInfo())}`);

  const setups: Setup[] = [];
  const make = (label: string, kernels: string[] | null, explicit: boolean, gemm: 'auto' | 'own' = 'auto', threads = 1) => {
    // the fused ops only where their kernels are installed (they would fall back to stock ops anyway)
    const fused = {
      ...(kernels?.includes('FusedGelu') === true ? { gelu: geluTanh, layerNorm, tokenLogprobs } : {}),
      ...(kernels?.includes('FusedAdam') === true ? { adam: (t: typeof tf, lr: number) => adam(t, lr) } : {}),
    };
    setups.push({ label, kernels, gemm, threads, model: new TinyGpt(tf, { ...cfg, explicitTransposeGrad: explicit }, fused), times: [], step: 0, lastLoss: NaN });
  };
  make('wasm stock (explicit-transpose matmul grads)', null, true);
  const all: string[] = [];
  for (const g of GROUPS) {
    all.push(...g.kernels);
    const last = all.length === GROUPS.flatMap((x) => x.kernels).length;
    if (!opts.allOnly) make(g.label, [...all], false);
    else if (last) make('wasm + every native kernel and fused op', [...all], false);
  }
  // the same, with the explicit-transpose gradients a model written for stock wasm uses
  make('all native, explicit-transpose matmul grads', [...all], true);
  // the GEMMs side by side (1 thread, then every core): BatchMatMul through the package's own
  // GEMM instead of OpenBLAS, everything else the same
  const gemms = nativeBlasInfo()?.gemms ?? [];
  const own = gemms.filter((g) => g !== 'openblas').at(-1) ?? 'own-scalar';
  const blas = gemms.includes('openblas') ? 'OpenBLAS' : own;
  make(`all native, BatchMatMul by the own GEMM (${own})`, [...all], false, 'own');
  const cores = os.availableParallelism();
  if (cores > 1) {
    make(`all native (${blas}), ${cores} threads`, [...all], false, 'auto', cores);
    make(`all native, own GEMM (${own}), ${cores} threads`, [...all], false, 'own', cores);
  }

  let torch: TorchWorker | null = null;
  const torchTimes: number[] = [];
  let torchLoss = NaN;
  if (opts.torch) {
    const found = findTorch();
    if ('skip' in found) console.log(`PyTorch: skipped, ${found.skip}`);
    else {
      torch = new TorchWorker(found.python);
      const hello = await torch.ask('hello');
      console.log(`PyTorch ${hello.version}, ${hello.threads} thread(s)`);
      await torch.ask(`run ${opts.warmup}`);
    }
  }

  for (const s of setups) runSteps(s, opts.warmup, false);
  for (let r = 0; r < opts.rounds; r++) {
    for (const s of setups) runSteps(s, opts.steps, true);
    if (torch) {
      const res = await torch.ask(`run ${opts.steps}`);
      torchTimes.push(...(res.times ?? []));
      torchLoss = res.loss ?? NaN;
    }
    process.stdout.write(`round ${r + 1}/${opts.rounds}: ${setups.map((s) => median(s.times).toFixed(0)).join(' / ')}${torch ? ` / torch ${median(torchTimes).toFixed(0)}` : ''} ms\n`);
  }
  torch?.close();

  const base = median(setups[0].times);
  const torchMed = torchTimes.length ? median(torchTimes) : NaN;
  console.log(`\nmedian ms/step over ${opts.rounds} rounds x ${opts.steps} steps (interleaved; 2 shared cores, expect noise)`);
  console.log(`${'setup'.padEnd(58)} ${'ms/step'.padStart(8)} ${'vs stock'.padStart(9)} ${'vs torch'.padStart(9)}  loss`);
  for (const s of setups) {
    const m = median(s.times);
    console.log(`${s.label.padEnd(58)} ${m.toFixed(1).padStart(8)} ${(base / m).toFixed(2).padStart(8)}x ${(Number.isNaN(torchMed) ? '-' : (m / torchMed).toFixed(2) + 'x').padStart(9)}  ${s.lastLoss.toFixed(4)}`);
  }
  if (!Number.isNaN(torchMed)) {
    console.log(`${'PyTorch 1 thread'.padEnd(58)} ${torchMed.toFixed(1).padStart(8)} ${(base / torchMed).toFixed(2).padStart(8)}x ${'1.00x'.padStart(9)}  ${torchLoss.toFixed(4)}`);
  }
  console.log('(vs stock: speed-up over stock wasm; vs torch: times slower than PyTorch)');

  if (opts.profile) {
    await profileOneStep(setups[0]);
    await profileOneStep(setups.find((s) => s.label === 'wasm + every native kernel and fused op' || s.label === GROUPS[GROUPS.length - 1].label) as Setup); // every native kernel and the fused ops
  }
  uninstallNativeKernels(tf);
  for (const s of setups) s.model.dispose();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
