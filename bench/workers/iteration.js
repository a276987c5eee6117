#!/usr/bin/env node
'use strict';
// Seconds per RL iteration with runtime.workers: the recipe as it is (no workers: the reference),
// count 0 (the chunks in the trainer's process), and 1 and 2 local `rlhf worker` processes that the
// trainer starts itself (count 1, 2), synchronous and one-step-off (offPolicySteps 1), on a Redis
// server this script starts on a free loopback port. Prints the medians of perf/step_s side by side
// with the reference and the speed-up, and where the time goes: waiting for the rollout
// (perf/generate_s: publication + queue + workers; with one-step-off only what the update did not
// hide), the weight publication (perf/publish_s) and the update (perf/update_s).
// Default recipe: recipes/detox/5-ppo.yaml when the detox reward model exists (steps 1–4 of the
// demo), else bench/workers/ppo-base.yaml (the same shape with a cheap reward); any RL recipe can be
// given instead.
// Usage: node bench/workers/iteration.js [recipe] [iterations=6] [chunkSize=8] [--pairs=N]
// (chunkSize: prompts per job; one job per worker and iteration generates fastest, docs/scale-out.md)
// --pairs=N: only the reference and 1 worker one-step-off, alternately N times each, with every
// pair's speed-up and their median: on a machine whose speed drifts from minute to minute, a ratio
// of two runs taken one after the other says more than one table.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'core', 'bin', 'rlhf.js');
const pairsArg = process.argv.slice(2).find((a) => a.startsWith('--pairs='));
const pairs = pairsArg ? Number(pairsArg.slice('--pairs='.length)) : 0;
const [recipeArg, itArg, chunkArg] = process.argv.slice(2).filter((a) => !a.startsWith('--pairs='));
const detox = path.join(root, 'recipes', 'detox', '5-ppo.yaml');
const haveDetox = fs.existsSync(path.join(root, 'runs', 'detox', 'reward-model'));
const recipe = path.resolve(recipeArg ?? (haveDetox ? detox : path.join(__dirname, 'ppo-base.yaml')));
const iterations = Number(itArg ?? 6);
const chunkSize = Number(chunkArg ?? 8);
const WARMUP = 1; // iterations left out of every median (kernel compilation, workers starting)
if (!fs.existsSync(recipe) || !(Number.isInteger(iterations) && iterations > WARMUP) || !(Number.isInteger(chunkSize) && chunkSize >= 1) || !(Number.isInteger(pairs) && pairs >= 0)) {
  console.error(`usage: node bench/workers/iteration.js [recipe] [iterations > ${WARMUP}] [chunkSize ≥ 1] [--pairs=N]`);
  process.exit(2);
}
const redisBin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => fs.existsSync(p));
if (!redisBin) {
  console.error('redis-server is not installed (apt-get install redis-server)');
  process.exit(2);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

async function main() {
  const port = await freePort();
  const redis = spawn(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const url = `redis://127.0.0.1:${port}`;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-bench-workers-'));
  const weights = path.join(out, 'weights');
  // runtime.workers as one --set (a recipe need not have the object)
  const workers = (o) => [`runtime.workers=${JSON.stringify({ chunkSize, weights, ...o })}`];
  const reference = ['no workers (reference)', []];
  const oneStepOff = ['1 worker, one-step-off', workers({ count: 1, redis: url, offPolicySteps: 1 })];
  const configs = pairs > 0 ? Array.from({ length: pairs }, () => [reference, oneStepOff]).flat() : [
    reference,
    ['count 0 (in process)', workers({ count: 0 })],
    ['1 worker', workers({ count: 1, redis: url })],
    ['2 workers', workers({ count: 2, redis: url })],
    oneStepOff,
    ['2 workers, one-step-off', workers({ count: 2, redis: url, offPolicySteps: 1 })],
  ];
  const load0 = os.loadavg()[0];
  const rows = [];
  try {
    for (const [i, [label, set]] of configs.entries()) {
      const sets = [...set, `runtime.steps=${iterations}`, 'runtime.checkpointEvery=0'];
      const dir = path.join(out, `${i}-${label.replace(/[^a-z0-9]+/gi, '-')}`);
      const r = spawnSync(process.execPath, [cli, 'train', recipe, '--out', dir, ...sets.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${label}: rlhf train failed (${r.status}): ${r.stderr}`);
      const m = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.step !== undefined).slice(WARMUP);
      const med = (k) => median(m.map((x) => x[k]).filter((v) => typeof v === 'number'));
      // the rollout: generation + reference + rewards (without workers these are three keys; with
      // workers perf/generate_s is the wall time of the whole fan-out, less what one-step-off hid)
      const rollout = set.length ? med('perf/generate_s') : median(m.map((x) => x['perf/generate_s'] + x['perf/reference_s'] + x['perf/score_s']));
      // worker time per job not spent computing its chunk (queue round trips, payload, loading the
      // weights, waiting for the other worker's last job): (w · wait − Σ chunk compute) / jobs, for
      // the synchronous runs with w workers
      const w = set.length && !label.includes('one-step-off') ? Number(/"count":(\d)/.exec(set[0])?.[1] ?? 0) : 0;
      const overhead = w > 0 ? median(m.map((x) => (w * x['perf/generate_s'] - x['perf/chunks_compute_s']) / x['perf/chunks'])) : NaN;
      rows.push({ label, step: med('perf/step_s'), fanout: rollout, publish: med('perf/publish_s'), update: med('perf/update_s'), overhead });
    }
  } finally {
    redis.kill('SIGTERM');
    fs.rmSync(out, { recursive: true, force: true });
  }
  const f = (v) => (Number.isFinite(v) ? v.toFixed(3) : '—');
  if (pairs > 0) {
    console.log(`recipe ${path.relative(root, recipe)}, ${iterations} iterations (median of the last ${iterations - WARMUP}), chunkSize ${chunkSize}, ${os.cpus().length} CPUs; ${pairs} pairs run one after the other`);
    console.log('pair  reference s/it  one-step-off s/it  speed-up');
    const ratios = [];
    for (let p = 0; p < pairs; p++) {
      const [a, b] = [rows[2 * p], rows[2 * p + 1]];
      ratios.push(a.step / b.step);
      console.log(`${String(p + 1).padStart(4)}  ${f(a.step).padStart(14)}  ${f(b.step).padStart(17)}  ${(a.step / b.step).toFixed(2).padStart(7)}x`);
    }
    console.log(`median speed-up of 1 worker one-step-off over the reference: ${median(ratios).toFixed(2)}x (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})`);
    return;
  }
  const ref = rows[0].step;
  console.log(`recipe ${path.relative(root, recipe)}, ${iterations} iterations (median of the last ${iterations - WARMUP}), chunkSize ${chunkSize}, ${os.cpus().length} CPUs, node ${process.version}`);
  console.log(`load average (1 min) before ${load0.toFixed(2)}, after ${os.loadavg()[0].toFixed(2)}: other work on the machine slows every configuration`);
  console.log('configuration             s/iteration  speed-up   rollout s  publish s  update s  overhead s/job');
  for (const r of rows) console.log(`${r.label.padEnd(25)} ${f(r.step).padStart(11)}  ${(ref / r.step).toFixed(2).padStart(7)}x  ${f(r.fanout).padStart(9)}  ${f(r.publish).padStart(9)}  ${f(r.update).padStart(8)}  ${f(r.overhead).padStart(14)}`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
