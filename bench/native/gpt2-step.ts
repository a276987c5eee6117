/**
 * ms per full fine-tuning step of a GPT-2-small-shaped model (124M parameters: vocab 50257, 1024
 * positions, d 768, 12 layers, 12 heads, MLP 3072, head tied to the token embedding), batch 8 × 64
 * tokens, Adam: the project's GPT (plugins/lm, built) with the native kernels on 1 and on N threads,
 * OpenBLAS and the own GEMM, against PyTorch (torch_step.py --shape gpt2) on 1 and on N threads.
 * Stock wasm is left out (minutes per step).
 *
 * One 124M model with its Adam moments and a step's transients takes most of the wasm heap's 4 GB,
 * so each tfjs setup runs in a fresh process per round, one at a time: it builds the model from the
 * seed, trains --bit-steps steps (the heap grows in the first steps: these are the warm-up) and
 * hashes its weights, then times --steps steps. The thread rule is checked on the warm-up steps:
 * for each GEMM, the losses (to the bit) and the weight hash must be the same at every thread count.
 *
 *   bench/native/run.sh gpt2-step [--rounds 2] [--steps 3] [--warmup 2] [--bit-steps 2] [--threads N] [--no-torch]
 *
 * --warmup is PyTorch's warm-up steps; --threads the second thread count (default: every core, at least 2).
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as NativeKernels from '../../plugins/native-kernels/dist';
import { findTorch, median, TorchWorker } from './harness';
import { type GptModel, type LmApi, loadLm, lmTrainStep, useWasmWithNativeKernels } from './lm-api';

const nk = require(path.resolve(__dirname, '..', '..', '..', 'plugins', 'native-kernels', 'dist')) as typeof NativeKernels;

const SHAPE = { vocab: 50257, positions: 1024, dModel: 768, layers: 12, heads: 12, seq: 64, batch: 8, lr: 1e-4, seed: 7 };

interface Options { rounds: number; steps: number; warmup: number; threads: number; torch: boolean; bitSteps: number }

function parseArgs(argv: string[]): Options {
  const o: Options = { rounds: 2, steps: 3, warmup: 2, threads: Math.max(2, os.availableParallelism()), torch: true, bitSteps: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < min) throw new Error(`${a} needs an integer ≥ ${min}, got ${argv[i]}`);
      return v;
    };
    if (a === '--rounds') o.rounds = num(1);
    else if (a === '--steps') o.steps = num(1);
    else if (a === '--warmup') o.warmup = num(0);
    else if (a === '--threads') o.threads = num(2);
    else if (a === '--bit-steps') o.bitSteps = num(1);
    else if (a === '--no-torch') o.torch = false;
    else throw new Error(`unknown argument ${a} (known: --rounds N --steps N --warmup N --threads N --bit-steps N --no-torch)`);
  }
  return o;
}

/** FNV-1a over the bytes of every trainable weight, in order. */
function weightHash(model: GptModel): string {
  let h = 0x811c9dc5;
  for (const v of model.trainableVariables()) {
    const bytes = new Uint8Array((v.dataSync() as Float32Array).slice().buffer);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** GPT-2 small's shape as the project's GPT config. */
function gpt2Config(lm: LmApi): unknown {
  return lm.validateConfig({ vocabSize: SHAPE.vocab, contextSize: SHAPE.positions, dModel: SHAPE.dModel, nLayers: SHAPE.layers, nHeads: SHAPE.heads, dMlp: 4 * SHAPE.dModel, tieEmbeddings: true, valueHead: false, dropout: 0 });
}

function buildModel(lm: LmApi): { model: GptModel; optimizer: tf.Optimizer } {
  const config = gpt2Config(lm);
  // the bench feeds token ids directly: the model only reads vocabSize and padId from its tokenizer
  const idsOnly = { vocabSize: SHAPE.vocab, eosId: 0, padId: 0, encode: (): number[] => [], decode: (): string => '' };
  const model = new lm.GPTModel(tf, config, idsOnly, lm.initWeights(config, new lm.Rng(SHAPE.seed)));
  return { model, optimizer: lm.adamOptimizer(tf, SHAPE.lr) };
}

interface ChildResult { times: number[]; bitLosses: string[]; weights: string; gemm: string; error?: string }

/**
 * The child process: builds the model from the seed, trains --bit-steps steps (the bit-identity
 * check, and the warm-up: the wasm heap grows in the first steps) and hashes the weights, then
 * times --steps more steps. Prints one JSON line.
 */
async function child(lm: LmApi, gemm: 'auto' | 'own', threads: number, bitSteps: number, steps: number): Promise<ChildResult> {
  await useWasmWithNativeKernels(tf, nk);
  nk.installNativeKernels(tf, { threads, gemm });
  const { model, optimizer } = buildModel(lm);
  const bitLosses: string[] = [];
  let step = 0;
  for (; step < bitSteps; step++) {
    const { loss } = lmTrainStep(tf, lm, model, optimizer, SHAPE, step);
    // the loss as its float32 bits
    bitLosses.push(`${loss.toFixed(6)} (${new Uint32Array(new Float32Array([loss]).buffer)[0].toString(16)})`);
  }
  const weights = weightHash(model);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) times.push(lmTrainStep(tf, lm, model, optimizer, SHAPE, step++).ms);
  return { times, bitLosses, weights, gemm: nk.nativeBlasInfo()?.gemm ?? gemm };
}

function runChild(gemm: 'auto' | 'own', threads: number, bitSteps: number, steps: number): ChildResult {
  const r = spawnSync(process.execPath, [__filename, '--child', gemm, String(threads), String(bitSteps), String(steps)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ChildResult;
  } catch {
    return { times: [], bitLosses: [], weights: '', gemm, error: `exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' | ')}` };
  }
}

async function main(): Promise<void> {
  const lm = loadLm();
  if (typeof lm === 'string') {
    console.log(`skipped: ${lm}`);
    return;
  }
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [gemm, threads, bitSteps, steps] = [argv[1] as 'auto' | 'own', Number(argv[2]), Number(argv[3]), Number(argv[4])];
    console.log(JSON.stringify(await child(lm, gemm, threads, bitSteps, steps)));
    return;
  }
  const opts = parseArgs(argv);
  const info = nk.nativeBlasInfo();
  if (!info) throw new Error(nk.nativeKernelsAvailable().reason ?? 'the native kernels are not available');
  const gemms: string[] = info.gemms;
  const params = lm.parameterCount(gpt2Config(lm));
  console.log(`project GPT (plugins/lm), GPT-2 small shape: ${(params / 1e6).toFixed(1)}M parameters (vocab ${SHAPE.vocab}, d ${SHAPE.dModel}, ${SHAPE.layers} layers, ${SHAPE.heads} heads, tied head), batch ${SHAPE.batch} × ${SHAPE.seq} tokens, Adam ${SHAPE.lr}; GEMMs in this build: ${gemms.join(', ')}`);
  console.log(`each tfjs setup runs in a fresh process per round (one 124M model with Adam fills most of the wasm heap's 4 GB): ${opts.bitSteps} warm-up steps from the seed, then ${opts.steps} timed`);

  interface Setup { label: string; gemm: 'auto' | 'own'; threads: number; times: number[]; bits: string[] }
  const setups: Setup[] = [];
  for (const gemm of gemms.includes('openblas') ? (['auto', 'own'] as const) : (['own'] as const)) {
    for (const threads of [1, opts.threads]) {
      const name = gemm === 'own' ? 'own GEMM' : 'OpenBLAS';
      setups.push({ label: `native kernels, ${name}, ${threads} thread${threads > 1 ? 's' : ''}`, gemm, threads, times: [], bits: [] });
    }
  }

  interface TorchSide { threads: number; worker: TorchWorker; times: number[] }
  const torch: TorchSide[] = [];
  if (opts.torch) {
    const found = findTorch();
    if ('skip' in found) console.log(`PyTorch: skipped, ${found.skip}`);
    else {
      for (const threads of [1, opts.threads]) {
        const worker = new TorchWorker(found.python, ['--shape', 'gpt2', '--threads', String(threads)]);
        const hello = await worker.ask('hello');
        if (hello.threads !== threads) console.log(`PyTorch asked for ${threads} threads runs on ${hello.threads}`);
        torch.push({ threads, worker, times: [] });
      }
      for (const t of torch) await t.worker.ask(`run ${opts.warmup}`);
    }
  }

  let failed = false;
  for (let r = 0; r < opts.rounds; r++) {
    for (const s of setups) {
      const res = runChild(s.gemm, s.threads, opts.bitSteps, opts.steps);
      if (res.error) {
        console.log(`${s.label}: failed, ${res.error}`);
        failed = true;
        continue;
      }
      s.times.push(...res.times);
      s.bits.push(`losses ${res.bitLosses.join(', ')}, weights ${res.weights}`);
    }
    for (const t of torch) t.times.push(...((await t.worker.ask(`run ${opts.steps}`)).times ?? []));
    console.log(`round ${r + 1}/${opts.rounds}: ${[...setups.map((s) => median(s.times)), ...torch.map((t) => median(t.times))].map((m) => m.toFixed(0)).join(' / ')} ms`);
  }
  for (const t of torch) t.worker.close();

  const best = torch.length ? Math.min(...torch.map((t) => median(t.times))) : NaN;
  console.log(`\nmedian ms/step over ${opts.rounds} rounds × ${opts.steps} steps${torch.length ? '; ratio against PyTorch at its fastest thread count' : ''}`);
  for (const s of setups) {
    const m = median(s.times);
    console.log(`${s.label.padEnd(40)} ${m.toFixed(0).padStart(8)} ms${Number.isNaN(best) ? '' : `  ${(m / best).toFixed(2)}× PyTorch`}`);
  }
  for (const t of torch) {
    const m = median(t.times);
    console.log(`${`PyTorch ${t.threads} thread${t.threads > 1 ? 's' : ''}`.padEnd(40)} ${m.toFixed(0).padStart(8)} ms  ${(m / best).toFixed(2)}×`);
  }

  console.log(`\nthread bit-identity: the ${opts.bitSteps} steps from the seed on 1 and on ${opts.threads} threads`);
  let same = true;
  for (const gemm of new Set(setups.map((s) => s.gemm))) {
    const mine = setups.filter((s) => s.gemm === gemm);
    for (const s of mine) console.log(`${s.label}: ${[...new Set(s.bits)].join(' | ')}`);
    const all = new Set(mine.flatMap((s) => s.bits));
    same &&= all.size === 1;
  }
  console.log(same ? 'identical at every thread count, for each GEMM' : 'DIFFERENT: the threaded kernels do not keep the one-thread bits');
  if (!same || failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
