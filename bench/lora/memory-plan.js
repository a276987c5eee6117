#!/usr/bin/env node
'use strict';
// The memory plan (core/src/plan/memory-plan.ts) against measured peaks: PPO runs of GPT-2-shaped
// random models of three sizes (LoRA rank 8 on c_attn, and one full fine-tune), each in a fresh
// process on wasm, printing the plan's peak tensor memory beside the wasm heap's size at exit (it
// only grows, so it is the high-water mark of tensor memory) and the process's peak RSS, with the
// error of each. Target: within ±25%.
// Usage: node bench/lora/memory-plan.js [--iterations=2]
const { runRecipe, parseArgs } = require('./common');

const o = parseArgs({ iterations: 2 }, 'usage: node bench/lora/memory-plan.js [--iterations=N]');
const base = { context: 64, prompts: 8, newTokens: 16, minibatch: 4, iterations: o.iterations };
const SIZES = [
  { name: 'S  4×256, V 8192, LoRA 8', layers: 4, dModel: 256, heads: 4, vocab: 8192, rank: 8 },
  { name: 'M  6×512, V 16384, LoRA 8', layers: 6, dModel: 512, heads: 8, vocab: 16384, rank: 8 },
  { name: 'L  8×768, V 50257, LoRA 8', layers: 8, dModel: 768, heads: 12, vocab: 50257, rank: 8 },
  // not used to set the coefficients: a full fine-tune, and the 124M smoke recipe's shape
  { name: 'M  6×512, V 16384, full', layers: 6, dModel: 512, heads: 8, vocab: 16384, rank: 0 },
  { name: '124M 12×768, V 50257, LoRA 16', layers: 12, dModel: 768, heads: 12, vocab: 50257, rank: 16, prompts: 4, minibatch: 2 },
];
const MiB = (b) => b / 2 ** 20;
const pct = (est, got) => `${(((est - got) / got) * 100).toFixed(0).padStart(4)}%`;
console.log(`${'model'.padEnd(28)}${'plan MiB'.padStart(10)}${'wasm heap'.padStart(11)}${'err'.padStart(7)}${'plan RSS'.padStart(10)}${'peak RSS'.padStart(10)}${'err'.padStart(7)}`);
for (const s of SIZES) {
  const r = runRecipe({ ...base, ...s });
  const plan = MiB(r.plan.peakBytes);
  const planRss = MiB(r.plan.rssBytes ?? r.plan.peakBytes);
  const heap = MiB(r.memory.wasmHeapBytes);
  const rss = r.memory.maxRssKiB / 1024;
  console.log(`${s.name.padEnd(28)}${plan.toFixed(0).padStart(10)}${heap.toFixed(0).padStart(11)}${pct(plan, heap)}${planRss.toFixed(0).padStart(10)}${rss.toFixed(0).padStart(10)}${pct(planRss, rss)}`);
}
