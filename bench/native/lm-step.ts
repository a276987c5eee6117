/**
 * ms per training step of the project's own GPT (@rlhfjs/plugin-lm, as built in plugins/lm/dist):
 * stock wasm, wasm with the native kernels but not the fused ops, and wasm with everything,
 * interleaved in one process, and PyTorch on the same architecture. The model code is used as
 * shipped: its ops pick the formulation for the kernels that are active (explicit-transpose matmul
 * gradients and composed GELU/LayerNorm on stock wasm; transpose flags, the fused GELU, LayerNorm
 * and token log-prob ops and the fused Adam where the native kernels are on).
 *
 *   bench/native/run.sh lm-step [--rounds 5] [--steps 3] [--warmup 2] [--no-torch]
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as NativeKernels from '../../plugins/native-kernels/dist';
import { findTorch, median, parseStepArgs, TorchWorker } from './harness';
import { type LmApi, loadLm, lmTrainStep, useWasmWithNativeKernels } from './lm-api';
import { BENCH_CONFIG } from './tiny-gpt';

const nk = require(path.resolve(__dirname, '..', '..', '..', 'plugins', 'native-kernels', 'dist')) as typeof NativeKernels;

async function main(): Promise<void> {
  const opts = parseStepArgs(process.argv.slice(2), { rounds: 5, steps: 3, warmup: 2 });
  const lm = loadLm();
  if (typeof lm === 'string') {
    console.log(`skipped: ${lm}`);
    return;
  }
  await useWasmWithNativeKernels(tf, nk);

  const cfg = BENCH_CONFIG;
  const config = lm.validateConfig({ vocabSize: cfg.vocab, contextSize: cfg.seq, dModel: cfg.dModel, nLayers: cfg.layers, nHeads: cfg.heads, dMlp: 4 * cfg.dModel, tieEmbeddings: false, valueHead: false, dropout: 0 });
  // the bench feeds token ids directly: the model only reads vocabSize and padId from its tokenizer
  const idsOnly = { vocabSize: cfg.vocab, eosId: 0, padId: 0, encode: (): number[] => [], decode: (): string => '' };
  console.log(`project GPT (plugins/lm): vocab ${cfg.vocab}, d ${cfg.dModel}, ${cfg.layers} layers, ${cfg.heads} heads, ${cfg.seq} tokens, batch ${cfg.batch}, Adam ${cfg.lr}`);

  // the native kernels without the fused ops: sgemm, elementwise, reductions and copies only
  const unfused = nk.NATIVE_KERNEL_NAMES.filter((k) => !(k in nk.FUSED_OPS));
  interface Setup { label: string; kernels: string[]; gemm?: 'own'; model: InstanceType<LmApi['GPTModel']>; optimizer: tf.Optimizer; times: number[]; step: number; loss: number }
  const setups: Setup[] = [
    { label: 'wasm stock', kernels: [] as string[] },
    { label: 'wasm + native kernels, no fused ops', kernels: unfused },
    { label: 'wasm + native kernels and fused ops', kernels: [...nk.NATIVE_KERNEL_NAMES] },
    // the same, BatchMatMul through the package's own GEMM instead of OpenBLAS
    { label: 'wasm + native kernels and fused ops, own GEMM', kernels: [...nk.NATIVE_KERNEL_NAMES], gemm: 'own' as const },
  ].map((s) => ({
    ...s,
    model: new lm.GPTModel(tf, config, idsOnly, lm.initWeights(config, new lm.Rng(7))),
    optimizer: lm.adamOptimizer(tf, cfg.lr),
    times: [],
    step: 0,
    loss: NaN,
  }));

  const run = (s: Setup, n: number, record: boolean) => {
    nk.uninstallNativeKernels(tf);
    // one thread, as PyTorch's; the GEMM the build picks unless the setup asks for the own one
    if (s.kernels.length) nk.installNativeKernels(tf, { kernels: s.kernels, threads: 1, gemm: s.gemm ?? 'auto' });
    for (let i = 0; i < n; i++) {
      const { ms: dt, loss } = lmTrainStep(tf, lm, s.model, s.optimizer, cfg, s.step++);
      s.loss = loss;
      if (record) s.times.push(dt);
    }
  };

  let torch: TorchWorker | null = null;
  const torchTimes: number[] = [];
  if (opts.torch) {
    const found = findTorch();
    if ('skip' in found) console.log(`PyTorch: skipped, ${found.skip}`);
    else {
      torch = new TorchWorker(found.python);
      await torch.ask('hello');
      await torch.ask(`run ${opts.warmup}`);
    }
  }
  for (const s of setups) run(s, opts.warmup, false);
  for (let r = 0; r < opts.rounds; r++) {
    for (const s of setups) run(s, opts.steps, true);
    if (torch) torchTimes.push(...((await torch.ask(`run ${opts.steps}`)).times ?? []));
    console.log(`round ${r + 1}/${opts.rounds}: ${setups.map((s) => median(s.times).toFixed(0)).join(' / ')}${torch ? ` / torch ${median(torchTimes).toFixed(0)}` : ''} ms`);
  }
  torch?.close();
  nk.uninstallNativeKernels(tf);

  const base = median(setups[0].times);
  const tm = torchTimes.length ? median(torchTimes) : NaN;
  console.log(`\nmedian ms/step over ${opts.rounds} rounds x ${opts.steps} steps (interleaved)`);
  for (const s of setups) {
    const m = median(s.times);
    console.log(`${s.label.padEnd(48)} ${m.toFixed(1).padStart(8)} ms  ${(base / m).toFixed(2)}x vs stock  ${Number.isNaN(tm) ? '' : `${(m / tm).toFixed(2)}x PyTorch`}  loss ${s.loss.toFixed(4)}`);
  }
  if (!Number.isNaN(tm)) console.log(`${'PyTorch 1 thread'.padEnd(48)} ${tm.toFixed(1).padStart(8)} ms`);
  for (const s of setups) {
    s.model.dispose();
    s.optimizer.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
