#!/usr/bin/env node
'use strict';
/**
 * Benchmark of the GPT policy in @rlhfjs/plugin-lm, on the project's reference model
 * (vocab 512, d_model 128, 2 layers, 4 heads, sequence 64, batch 16, Adam):
 *   - ms per training step (forward + backward + Adam update) on the tfjs wasm and cpu backends
 *   - generation tokens/s with and without the KV cache
 * and the same workloads in PyTorch (bench/lm/bench_torch.py), printed as ratios.
 *
 * Build first: npx tsc -b plugins/lm   (or npm run build)
 * Run:         node bench/lm/bench.js [--steps 5] [--backends wasm,cpu] [--python /usr/bin/python3]
 * PyTorch:     apt-get install -y python3-torch (Debian); skipped with a note when it is missing.
 * Numbers depend on the machine and on its load: compare figures from one run only.
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const STEPS = Number(arg('steps', '5'));
const BACKENDS = arg('backends', 'wasm,cpu').split(',');
const CFG = { vocab: 512, d: 128, layers: 2, heads: 4, seq: 64, batch: 16, steps: STEPS, genBatch: 16, genPrompt: 8, genNew: 32, threads: 1 };

const root = path.resolve(__dirname, '../..');
let lm, core;
try {
  lm = require(path.join(root, 'plugins/lm/dist/index.js'));
  core = require(path.join(root, 'core/dist/index.js'));
} catch (e) {
  console.error(`build first (npx tsc -b plugins/lm): ${e.message}`);
  process.exit(2);
}
const tf = require('@tensorflow/tfjs-core');

/** Ids as text, enough for generate() to decode completions. */
const tokenizer = { vocabSize: CFG.vocab, eosId: CFG.vocab - 1, padId: CFG.vocab - 1, bosId: CFG.vocab - 1, encode: (s) => s.split(' ').map(Number), decode: (ids) => ids.join(' ') };

function referenceModel() {
  const config = lm.validateConfig({ vocabSize: CFG.vocab, contextSize: CFG.seq + CFG.genNew, dModel: CFG.d, nLayers: CFG.layers, nHeads: CFG.heads, dMlp: 4 * CFG.d, tieEmbeddings: true });
  return new lm.GPTModel(tf, config, tokenizer, lm.initWeights(config, new core.Rng(0)));
}

async function benchBackend(name) {
  if (name === 'wasm') require('@tensorflow/tfjs-backend-wasm');
  if (name === 'cpu') require('@tensorflow/tfjs-backend-cpu');
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`backend ${name} did not start (tfjs runs ${tf.getBackend()})`);
  const model = referenceModel();
  const adam = new core.AdamW(tf, model.trainableVariables(), { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, owner: { plugin: 'bench', pointer: '' } });
  const rng = new core.Rng(1);
  const B = CFG.batch;
  const T = CFG.seq;
  const ids = tf.tensor2d(Int32Array.from({ length: B * T }, () => rng.int(CFG.vocab)), [B, T], 'int32');
  const mask = tf.ones([B, T]);
  const step = () => {
    adam.step(() => tf.neg(tf.mean(model.forward({ ids, attentionMask: mask }).logprobs)), { step: 0 });
  };
  const steps = name === 'cpu' ? Math.min(STEPS, 2) : STEPS;
  step();
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) step();
  const msPerStep = Number(process.hrtime.bigint() - t0) / 1e6 / steps;

  const prompts = Array.from({ length: CFG.genBatch }, () => Array.from({ length: CFG.genPrompt }, () => rng.int(CFG.vocab - 1)));
  const sampling = { maxNewTokens: CFG.genNew, temperature: 1, topK: 0, topP: 1, stop: [] };
  const gen = async (useCache) => {
    // eos is never sampled here: it is the last id and the model is random, but guard anyway
    const r = await lm.generate(model, prompts, sampling, new core.Rng(2), { useCache });
    return r.responseIds.reduce((s, x) => s + x.length, 0);
  };
  const out = { engine: `tfjs-${name}`, msPerStep, steps };
  for (const useCache of [true, false]) {
    await gen(useCache);
    t0 = process.hrtime.bigint();
    const n = await gen(useCache);
    out[`genTokensPerSec${useCache ? 'Cached' : 'Uncached'}`] = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  }
  adam.dispose();
  model.dispose();
  ids.dispose();
  mask.dispose();
  return out;
}

function benchTorch() {
  const candidates = [arg('python'), process.env.RLHF_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const py of candidates) {
    const r = spawnSync(py, [path.join(__dirname, 'bench_torch.py'), JSON.stringify(CFG)], { encoding: 'utf8' });
    if (r.status === 0) return JSON.parse(r.stdout.trim().split('\n').pop());
    if (r.status !== 3 && r.error === undefined) console.error(`${py}: ${r.stderr.trim().split('\n').pop()}`);
  }
  console.error('PyTorch skipped: no python with torch found (apt-get install -y python3-torch, or pass --python /usr/bin/python3)');
  return undefined;
}

(async () => {
  console.log(`reference model: vocab ${CFG.vocab}, d ${CFG.d}, ${CFG.layers} layers, ${CFG.heads} heads, seq ${CFG.seq}, batch ${CFG.batch}, Adam; generation: batch ${CFG.genBatch}, prompt ${CFG.genPrompt}, ${CFG.genNew} new tokens`);
  const rows = [];
  for (const b of BACKENDS) {
    try {
      rows.push(await benchBackend(b));
    } catch (e) {
      console.error(`${b}: ${e.message}`);
    }
  }
  const torch = benchTorch();
  if (torch) rows.push(torch);
  const f = (x, d = 1) => (x === undefined ? '-' : x.toFixed(d));
  console.log('\nengine          ms/step   gen tok/s (KV cache)   gen tok/s (no cache)   vs PyTorch: step time   gen (cache)');
  for (const r of rows) {
    const ratioStep = torch ? `${f(r.msPerStep / torch.msPerStep, 2)}x slower` : '-';
    const ratioGen = torch ? `${f(torch.genTokensPerSecCached / r.genTokensPerSecCached, 2)}x slower` : '-';
    console.log(`${r.engine.padEnd(15)} ${f(r.msPerStep).padStart(8)}   ${f(r.genTokensPerSecCached).padStart(20)}   ${f(r.genTokensPerSecUncached).padStart(20)}   ${ratioStep.padStart(21)}   ${ratioGen.padStart(11)}`);
  }
  console.log('\n' + JSON.stringify({ config: CFG, results: rows }));
})();
