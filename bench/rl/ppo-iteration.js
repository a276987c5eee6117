#!/usr/bin/env node
'use strict';
// ms per PPO iteration of the detox recipe (recipes/detox/5-ppo.yaml: 32 prompts × 32 tokens,
// 2 epochs of 2 minibatches) on stock wasm kernels, with the native kernels, and in PyTorch
// (torch_ppo_iteration.py: the same model, batch and phases, one thread). Each round runs the
// three one after the other in fresh processes; the medians are printed side by side with their
// ratios, and per phase (metrics.jsonl perf/* keys) against PyTorch's phases.
// Needs the detox steps 1–4 to have run (npm run demo, or recipes/detox/run.sh up to step 4).
// Usage: node bench/rl/ppo-iteration.js [iterations=12] [rounds=2] [--no-torch] [--own-gemm] [--threads=N]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--'));
const unknown = args.filter((a) => a.startsWith('--') && a !== '--no-torch' && a !== '--own-gemm' && !a.startsWith('--threads='));
// --own-gemm: a third tfjs setup, the native kernels with the own GEMM instead of OpenBLAS (the
// same addon, RLHF_NATIVE_GEMM=own); --threads=N: runtime.threads of the tfjs runs (default 1, as
// PyTorch's one thread; 0 is every core)
const ownGemm = args.includes('--own-gemm');
const threads = Number((args.find((a) => a.startsWith('--threads=')) ?? '--threads=1').slice('--threads='.length));
const iterations = Number(positional[0] ?? 12);
const rounds = Number(positional[1] ?? 2);
const WARMUP = 2; // iterations left out of every median: kernel compilation, first allocations
if (unknown.length > 0 || !(Number.isInteger(iterations) && iterations > WARMUP) || !(Number.isInteger(rounds) && rounds >= 1)) {
  console.error(`usage: node bench/rl/ppo-iteration.js [iterations > ${WARMUP}] [rounds ≥ 1] [--no-torch] [--own-gemm] [--threads=N]`);
  process.exit(2);
}
const recipe = path.join(root, 'recipes', 'detox', '5-ppo.yaml');
if (!fs.existsSync(path.join(root, 'runs', 'detox', 'reward-model'))) {
  console.error('run the detox steps 1–4 first (bash recipes/detox/run.sh, or the recipes one by one)');
  process.exit(2);
}

// The phases of one iteration: metrics.jsonl keys of plugins/algorithms/src/jobs/rl-job.ts (the rl job) and the ppo plugin
// (train = the update less its no-gradient forward pass), named as torch_ppo_iteration.py names them.
const PHASES = [
  ['generate', 'generation (KV cache, 32 × 32 tokens)', (r) => r['perf/generate_s']],
  ['reference', 'reference log-probs', (r) => r['perf/reference_s']],
  ['score', 'reward model', (r) => r['perf/score_s']],
  ['old_logprobs', 'old log-probs + values', (r) => r['perf/old_logprobs_s']],
  ['train', 'rewards, GAE, 4 minibatch steps', (r) => (r['perf/update_s'] === undefined || r['perf/old_logprobs_s'] === undefined ? undefined : r['perf/update_s'] - r['perf/old_logprobs_s'])],
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// gemm: the GEMM behind the native BatchMatMul (RLHF_NATIVE_GEMM), undefined for the build's default
function runTfjs(mode, gemm) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `ppo-bench-${mode}-`));
  fs.rmSync(out, { recursive: true });
  const env = { ...process.env };
  if (gemm) env.RLHF_NATIVE_GEMM = gemm;
  else delete env.RLHF_NATIVE_GEMM;
  const r = spawnSync(process.execPath, [path.join(root, 'core', 'bin', 'rlhf.js'), 'train', recipe, '--out', out, '--set', `runtime.steps=${iterations}`, '--set', 'runtime.checkpointEvery=0', '--set', `runtime.nativeKernels=${mode}`, '--set', `runtime.threads=${threads}`], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${mode} run failed:\n${r.stderr}`);
  const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).slice(WARMUP);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  fs.rmSync(out, { recursive: true, force: true });
  const phases = {};
  for (const [key, , pick] of PHASES) {
    const xs = rows.map(pick).filter((x) => typeof x === 'number' && Number.isFinite(x));
    if (xs.length === rows.length) phases[key] = median(xs) * 1000;
  }
  return { step: median(rows.map((x) => x['perf/step_s'] * 1000)), phases, kernels: manifest.nativeKernels.length, gemm: manifest.nativeGemm, threads: manifest.nativeThreads };
}

/** The python that has torch (as bench/native/harness.ts finds it), or null with the reason. */
function findTorch() {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return { skip: 'import torch failed in /usr/bin/python3 and python3 (apt-get install -y python3-torch)' };
}

function runTorch(python) {
  const r = spawnSync(python, [path.join(__dirname, 'torch_ppo_iteration.py'), '--iterations', String(iterations - WARMUP), '--warmup', String(WARMUP)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PyTorch run failed:\n${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split('\n').pop());
  const { step, ...phases } = res.ms;
  return { step, phases, version: res.torch, threads: res.threads };
}

const torch = args.includes('--no-torch') ? { skip: '--no-torch' } : findTorch();
const setups = [
  { key: 'forbid', run: () => runTfjs('forbid') },
  { key: 'require', run: () => runTfjs('require') },
];
if (ownGemm) setups.push({ key: 'own', run: () => runTfjs('require', 'own') });
if (torch.python) setups.push({ key: 'torch', run: () => runTorch(torch.python) });
const results = Object.fromEntries(setups.map((s) => [s.key, []]));
for (let i = 0; i < rounds; i++) {
  for (const s of setups) {
    results[s.key].push(s.run());
    process.stderr.write(`round ${i + 1}/${rounds}: ${s.key} ${results[s.key].at(-1).step.toFixed(0)} ms\n`);
  }
}

// median over rounds of each round's median
const summary = {};
for (const [key, rs] of Object.entries(results)) {
  const phases = {};
  for (const [p] of PHASES) if (rs.every((r) => r.phases[p] !== undefined)) phases[p] = median(rs.map((r) => r.phases[p]));
  summary[key] = { step: median(rs.map((r) => r.step)), phases, first: rs[0] };
}
const stock = summary.forbid.step;
const ref = summary.torch?.step;
const names = {
  forbid: 'wasm stock kernels',
  require: `wasm + native kernels (${summary.require.first.kernels}, GEMM ${summary.require.first.gemm ?? '?'}, ${summary.require.first.threads ?? '?'} thread)`,
  own: summary.own && `wasm + native kernels, GEMM ${summary.own.first.gemm}, ${summary.own.first.threads} thread`,
  torch: summary.torch && `PyTorch ${summary.torch.first.version}, ${summary.torch.first.threads} thread`,
};
const speedup = (x) => (x >= 0.995 && x < 1.005 ? '1.00×' : x > 1 ? `${x.toFixed(2)}× faster` : `${(1 / x).toFixed(2)}× slower`);
const versus = (ms, base) => (base === undefined ? '' : ms === base ? '1.00×' : ms > base ? `${(ms / base).toFixed(2)}× slower` : `${(base / ms).toFixed(2)}× faster`);

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

console.log(`PPO iteration, detox recipe (32 prompts × 32 new tokens, 2 epochs × 2 minibatches of 16): median ms over ${iterations - WARMUP} iterations (${WARMUP} warm-up left out) × ${rounds} rounds`);
if (torch.skip) console.log(`PyTorch skipped: ${torch.skip}`);
console.log('');
table(
  ['setup', 'ms/iteration', 'vs stock', ...(ref === undefined ? [] : ['vs PyTorch'])],
  Object.entries(summary).map(([key, s]) => [names[key], s.step.toFixed(0), speedup(stock / s.step), ...(ref === undefined ? [] : [versus(s.step, ref)])]),
);

const shown = PHASES.filter(([p]) => Object.values(summary).some((s) => s.phases[p] !== undefined));
if (shown.length > 0) {
  console.log('');
  const keys = Object.keys(summary);
  const head = ['phase (median ms)', ...keys.map((k) => ({ forbid: 'stock', require: 'native', own: 'native, own GEMM', torch: 'PyTorch' })[k])];
  if (ref !== undefined) head.push('native vs PyTorch');
  const rows = shown.map(([p, label]) => {
    const cells = [label, ...keys.map((k) => (summary[k].phases[p] === undefined ? '–' : summary[k].phases[p].toFixed(0)))];
    if (ref !== undefined) {
      const n = summary.require.phases[p];
      const t = summary.torch.phases[p];
      cells.push(n === undefined || t === undefined ? '–' : versus(n, t));
    }
    return cells;
  });
  table(head, rows);
  console.log('(each phase is its own median, so the phases need not add up to the iteration)');
}
