#!/usr/bin/env node
'use strict';
// One PPO iteration with LoRA (issue 14's benchmark): rollout of `prompts` prompts × `newTokens`
// new tokens with the KV cache, the reference (the base, adapters off) forward, the reward, one
// epoch of 2 minibatches, on a GPT-2-shaped random-weight model (default: GPT-2 small, vocab 50257,
// 12 layers, d 768, 12 heads, LoRA rank 16 on c_attn), in rlhfjs on wasm (native kernels as the
// run allows, runtime.threads) and in PyTorch with a hand-written LoRA (torch_lora_ppo_iteration.py),
// each on 1 and on 2 threads, ms per phase side by side with the ratio at equal thread counts and
// against PyTorch's faster thread count, and each side's peak RSS.
// The reward is a host-side toy function on both sides (no reward model is run).
// Usage: node bench/lora/ppo-iteration.js [--layers=12] [--dModel=768] [--heads=12] [--vocab=50257]
//        [--context=64] [--rank=16 (0 = full fine-tuning)] [--prompts=16] [--newTokens=32]
//        [--minibatch=8] [--iterations=4] [--torch=true] [--threads=1,2 (or 1 or 2: both sides)]
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { runRecipe, median, parseArgs } = require('./common');

const o = parseArgs(
  { layers: 12, dModel: 768, heads: 12, vocab: 50257, context: 64, rank: 16, prompts: 16, newTokens: 32, minibatch: 8, iterations: 4, torch: true, threads: '1,2' },
  'usage: node bench/lora/ppo-iteration.js [--layers=N] [--dModel=N] [--heads=N] [--vocab=N] [--context=N] [--rank=N] [--prompts=N] [--newTokens=N] [--minibatch=N] [--iterations=N] [--torch=false] [--threads=1,2]',
);
const WARMUP = 1; // the first iteration compiles kernels and grows the heap: left out of the medians

const PHASES = [
  ['generate', (r) => r['perf/generate_s']],
  ['reference', (r) => r['perf/reference_s']],
  ['score', (r) => r['perf/score_s']],
  ['old_logprobs', (r) => r['perf/old_logprobs_s']],
  ['train', (r) => (r['perf/update_s'] === undefined || r['perf/old_logprobs_s'] === undefined ? undefined : r['perf/update_s'] - r['perf/old_logprobs_s'])],
  ['step', (r) => r['perf/step_s']],
];

function js(threads) {
  const res = runRecipe({ ...o, threads });
  const rows = res.rows.slice(Math.min(WARMUP, res.rows.length - 1));
  const ms = {};
  for (const [k, pick] of PHASES) {
    const xs = rows.map(pick).filter((x) => typeof x === 'number' && Number.isFinite(x));
    if (xs.length) ms[k] = median(xs) * 1000;
  }
  return { ms, rssMiB: res.memory ? res.memory.maxRssKiB / 1024 : null, wasmHeapMiB: res.memory?.wasmHeapBytes ? res.memory.wasmHeapBytes / 2 ** 20 : null, planMiB: res.plan ? res.plan.peakBytes / 2 ** 20 : null, kernels: res.kernels };
}

function torch(threads) {
  const args = ['--threads', String(threads), '--iterations', String(Math.max(1, o.iterations - WARMUP)), '--warmup', String(WARMUP), '--layers', String(o.layers), '--d-model', String(o.dModel), '--heads', String(o.heads), '--vocab', String(o.vocab), '--context', String(o.context), '--rank', String(o.rank), '--alpha', String(2 * o.rank), '--prompts', String(o.prompts), '--new-tokens', String(o.newTokens), '--minibatch', String(o.minibatch)];
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'torch_lora_ppo_iteration.py'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) return { skip: `PyTorch run failed or torch missing: ${r.stderr.trim().split('\n').pop()}` };
  const res = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ms: res.ms, rssMiB: res.peak_rss_mb, version: res.torch };
}

const params = 12 * o.dModel * o.dModel * o.layers + o.vocab * o.dModel;
console.log(`PPO iteration, GPT-2-shaped random model: ${o.layers} layers, d ${o.dModel}, ${o.heads} heads, vocab ${o.vocab} (~${(params / 1e6).toFixed(0)}M parameters), ${o.rank > 0 ? `LoRA rank ${o.rank} on c_attn` : 'full fine-tuning'}; ${o.prompts} prompts × ${o.newTokens} new tokens, context ${o.context}, 1 epoch of ${Math.ceil(o.prompts / o.minibatch)} minibatches; ${o.iterations} iterations (first left out), medians`);
const counts = String(o.threads).split(',').map(Number);
if (counts.some((t) => !Number.isInteger(t) || t < 1)) {
  console.error(`--threads takes thread counts such as 1,2; got ${o.threads}`);
  process.exit(2);
}
const sides = counts.map((t) => ({ threads: t, js: js(t), torch: o.torch ? torch(t) : { skip: 'not run' } }));
const f = (x) => (x === undefined || x === null ? '—' : x.toFixed(0));
const ratio = (x, y) => (x && y ? `${(x / y).toFixed(2)}×` : '—');
// PyTorch's faster setting: the thread count with the shorter iteration
const timed = sides.filter((s) => s.torch.ms?.step);
const best = timed.length ? timed.reduce((a, b) => (b.torch.ms.step < a.torch.ms.step ? b : a)) : null;
const head = ['phase', ...sides.flatMap((s) => [`rlhfjs ${s.threads}t ms`, `torch ${s.threads}t ms`, 'ratio']), ...(best ? [`best rlhfjs vs torch ${best.threads}t`] : [])];
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const [k] of PHASES) {
  const bestJs = Math.min(...sides.map((s) => s.js.ms[k]).filter((x) => x !== undefined));
  const cells = [k, ...sides.flatMap((s) => [f(s.js.ms[k]), f(s.torch.ms?.[k]), ratio(s.js.ms[k], s.torch.ms?.[k])]), ...(best ? [ratio(bestJs, best.torch.ms[k])] : [])];
  console.log(`| ${cells.join(' | ')} |`);
}
for (const s of sides) {
  console.log(`${s.threads} thread(s): peak RSS rlhfjs ${s.js.rssMiB?.toFixed(0)} MiB (wasm heap ${s.js.wasmHeapMiB?.toFixed(0) ?? '—'} MiB, plan ${s.js.planMiB?.toFixed(0) ?? '—'} MiB, ${s.js.kernels} native kernels); torch ${s.torch.rssMiB !== undefined ? `${s.torch.rssMiB} MiB` : s.torch.skip}`);
}
console.log(`load average while it ran (the machine may be shared): ${require('node:os').loadavg().map((x) => x.toFixed(1)).join(' ')}`);
