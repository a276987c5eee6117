#!/usr/bin/env node
'use strict';
// ms per PPO iteration of the detox recipe (recipes/detox/5-ppo.yaml: 32 prompts × 32 tokens,
// 2 epochs of 2 minibatches) on stock wasm kernels and with the native kernels, run one after the
// other in fresh processes, printed side by side with their ratio.
// Needs the detox steps 1–4 to have run (npm run demo, or recipes/detox/run.sh up to step 4).
// Usage: node bench/rl/ppo-iteration.js [iterations=12] [rounds=2]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const iterations = Number(process.argv[2] ?? 12);
const rounds = Number(process.argv[3] ?? 2);
const recipe = path.join(root, 'recipes', 'detox', '5-ppo.yaml');
if (!fs.existsSync(path.join(root, 'runs', 'detox', 'reward-model'))) {
  console.error('run the detox steps 1–4 first (bash recipes/detox/run.sh, or the recipes one by one)');
  process.exit(2);
}

function run(mode) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `ppo-bench-${mode}-`));
  fs.rmSync(out, { recursive: true });
  const r = spawnSync(process.execPath, [path.join(root, 'core', 'bin', 'rlhf.js'), 'train', recipe, '--out', out, '--set', `runtime.steps=${iterations}`, '--set', 'runtime.checkpointEvery=0', '--set', `runtime.nativeKernels=${mode}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} run failed:\n${r.stderr}`);
  const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  fs.rmSync(out, { recursive: true, force: true });
  // skip the first two iterations (warm-up: kernel compilation, first allocations)
  const steps = rows.slice(2).map((x) => x['perf/step_s'] * 1000).sort((a, b) => a - b);
  return { median: steps[Math.floor(steps.length / 2)], kernels: manifest.nativeKernels.length };
}

const results = { forbid: [], require: [] };
for (let i = 0; i < rounds; i++) for (const mode of ['forbid', 'require']) results[mode].push(run(mode));
const med = (xs) => xs.map((x) => x.median).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stock = med(results.forbid);
const native = med(results.require);
console.log(`PPO iteration, detox recipe, ${iterations} iterations × ${rounds} rounds (median ms, warm-up excluded)`);
console.log(`  wasm stock kernels           ${stock.toFixed(0)} ms`);
console.log(`  wasm + native kernels (${results.require[0].kernels})   ${native.toFixed(0)} ms`);
console.log(`  ratio stock / native         ${(stock / native).toFixed(2)}×`);
