'use strict';
// The GPU check (bench/gpu/README.md). Bundled by pack.sh into app/rlhfjs.js and run by check.sh as
// `node app/rlhfjs.js check` (it reads the bundle's files: recipes/, the Dawn binary named by
// RLHFJS_DAWN_NODE). What it does, each part timed and written to one JSON file:
//   1. the GPU adapter Dawn finds (or why there is none, and what the machine has);
//   2. parity: the project GPT's forward log-probs and one AdamW step on webgpu against wasm (1e-4),
//      and the list of kernels that step dispatched with the backend that ran each;
//   3. a training step (forward, log-probs, backward, Adam) of a 124M-parameter GPT-2-shaped model
//      and the tokens/s of its generation, on webgpu and on wasm with the native CPU kernels;
//   4. PPO iterations of the detox recipe (bench/gpu/detox-ppo.yaml: the base model, 32 prompts ×
//      32 tokens, a reward model of the same shape) through `rlhf train`, on webgpu and on the CPU.
// Without an adapter it runs the CPU parts only. --quick shrinks every size (a proof that the
// bundle works, not a measurement).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const core = require('@rlhfjs/core');
const lm = require('@rlhfjs/plugin-lm');
const lmTesting = require('@rlhfjs/plugin-lm/testing');
const { RewardModel } = require('@rlhfjs/plugin-rewards');

const TOL = 1e-4;

function parseArgs(args) {
  const o = { quick: false, cpuOnly: false, out: undefined, root: undefined, budgetS: 270 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--cpu-only') o.cpuOnly = true;
    else if (a === '--out') o.out = args[++i];
    else if (a === '--root') o.root = args[++i];
    else if (a === '--budget-s') o.budgetS = Number(args[++i]);
    else throw new Error(`unknown argument ${a} (known: --quick, --cpu-only, --out <file>, --root <bundle dir>, --budget-s <seconds>)`);
  }
  return o;
}

function log(s) {
  process.stdout.write(`[gpu-check ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? null : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(x, d = 4) {
  return x === null || x === undefined || !Number.isFinite(x) ? x : Number(x.toFixed(d));
}

/** Where the bundle's files are: --root, else the folder above the bundle's app/. */
function bundleRoot(o) {
  return path.resolve(o.root ?? path.join(path.dirname(process.argv[1]), '..'));
}

async function useBackend(backend, extra = {}) {
  const rt = await core.createTensorRuntime({ backend, nativeKernels: 'forbid', ...extra });
  return rt;
}

/** 124M GPT-2 shape (vocab 50257, 1024 positions, d 768, 12 layers, 12 heads, MLP 3072, tied); --quick: 2 layers, 256 positions. */
function gpt2Config(quick) {
  return lm.validateConfig({ vocabSize: 50257, contextSize: quick ? 256 : 1024, dModel: 768, nLayers: quick ? 2 : 12, nHeads: 12, dMlp: 3072, tieEmbeddings: true, valueHead: false, dropout: 0 });
}

/**
 * Weights for timing only (initialising 124M parameters the GPT-2 way takes half a minute in JS):
 * LayerNorm gains 1, biases 0, every other weight uniform with standard deviation 0.02 (xorshift32).
 */
function timingWeights(config, seed) {
  let x = seed >>> 0 || 1;
  const out = new Map();
  for (const [name, shape] of lm.weightShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (/(^|\.)ln_(1|2|f)\.weight$/.test(name)) data.fill(1);
    else if (!name.endsWith('.bias')) {
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        data[i] = ((x >>> 0) / 4294967296 - 0.5) * 0.0692820323; // 2·√3·0.02
      }
    }
    out.set(name, { shape, data });
  }
  return out;
}

/** One training step's time (forward, token log-probs, backward, AdamW) and generation tokens/s on the backend in use. */
async function gpt2Bench(tf, weights, config, tokenizer, o, label, deadline) {
  const B = o.quick ? 2 : 4;
  const T = o.quick ? 32 : 128;
  const rng = new core.Rng(3);
  const model = new lm.GPTModel(tf, config, tokenizer, weights);
  const rows = Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(config.vocabSize)));
  const packed = core.packRollout(tf, { promptIds: rows.map((r) => r.slice(0, 1)), responseIds: rows.map((r) => r.slice(1)) }, 0);
  const adam = new core.AdamW(tf, model.trainableVariables(), { learningRate: 1e-4, maxGradNorm: 1, owner: { plugin: 'bench/gpu', pointer: '/' } });
  const loss = () => {
    const out = model.forward(packed.batch);
    return tf.div(tf.neg(tf.sum(tf.mul(out.logprobs, packed.responseMask))), tf.sum(packed.responseMask));
  };
  const steps = [];
  const res = { backend: tf.getBackend(), batch: [B, T], parameters: model.parameterCount(), stepMs: [], losses: [] };
  try {
    for (let i = 0; i < (o.quick ? 2 : 4); i++) {
      const t0 = performance.now();
      const r = await adam.stepAsync(loss, { step: i });
      steps.push(performance.now() - t0);
      res.losses.push(round(r.values['loss/total'], 5));
      log(`${label}: training step ${i + 1}: ${(steps[i] / 1000).toFixed(2)} s (loss ${r.values['loss/total'].toFixed(4)})`);
      if (performance.now() > deadline) {
        res.cutShort = 'time budget';
        break;
      }
    }
    res.stepMs = steps.map((x) => round(x, 1));
    res.firstStepMs = round(steps[0], 1);
    res.medianStepMs = round(median(steps.slice(1).length ? steps.slice(1) : steps), 1);
    res.tokensPerStep = B * (T - 1);
    // generation with the KV cache: 8 prompts of 16 tokens, 32 new tokens each (16 with --quick)
    if (performance.now() < deadline) {
      const prompts = Array.from({ length: 8 }, () => Array.from({ length: 16 }, () => rng.int(tokenizer.vocabSize)));
      const sampling = { maxNewTokens: o.quick ? 16 : 32, temperature: 1, topK: 0, topP: 1, stop: [] };
      await model.generate(prompts.slice(0, 2), { ...sampling, maxNewTokens: 2 }, new core.Rng(1)); // warm-up (shader compilation)
      const t0 = performance.now();
      const g = await model.generate(prompts, sampling, new core.Rng(1));
      const s = (performance.now() - t0) / 1000;
      const n = g.responseIds.reduce((a, r) => a + r.length, 0);
      res.generation = { prompts: 8, promptTokens: 16, newTokens: sampling.maxNewTokens, seconds: round(s, 3), tokensPerS: round(n / s, 1) };
      log(`${label}: generation ${n} tokens in ${s.toFixed(2)} s = ${(n / s).toFixed(1)} tokens/s`);
    }
  } finally {
    adam.dispose();
    core.disposePacked(packed);
    model.dispose();
  }
  return res;
}

/** The reward model the detox PPO recipe reads: the base GPT with a freshly drawn scalar head (timing only). */
async function makeRewardModel(tf, root) {
  const dir = path.join(root, 'recipes', 'work', 'reward-model');
  if (fs.existsSync(path.join(dir, 'config.json'))) return dir;
  const model = lm.loadPolicy(path.join(root, 'recipes', 'models', 'base'), tf, { valueHead: true, rng: new core.Rng(4), trainable: false });
  await new RewardModel(tf, model).save(dir, { objective: 'pointwise', note: 'scalar head drawn at random by bench/gpu/check.js: for timing only' });
  model.dispose();
  return dir;
}

/** PPO iterations through the bundled CLI in a fresh process; perf/* of metrics.jsonl. */
function ppoRun(root, backend, iterations, extraSets, label, deadline) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `gpu-check-ppo-${backend}-`));
  fs.rmSync(out, { recursive: true });
  // the bundle itself, as the rlhf command
  const cli = [process.argv[1], 'cli'];
  const recipe = path.join(root, 'recipes', 'detox-ppo.yaml');
  const args = [...cli, 'train', recipe, '--out', out, '--set', `runtime.steps=${iterations}`, '--set', `runtime.backend=${backend}`, ...extraSets.flatMap((s) => ['--set', s])];
  const t0 = performance.now();
  const timeout = Math.max(30000, Math.round(deadline - performance.now()));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: process.env, timeout });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-6).join(' | ');
    log(`${label}: PPO run failed: ${why}`);
    return { backend, ok: false, error: why, wallS: round(wall, 2) };
  }
  const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  fs.rmSync(out, { recursive: true, force: true });
  const pick = (k) => rows.map((x) => x[k]).filter((x) => typeof x === 'number');
  const later = rows.slice(1);
  const res = {
    backend: manifest.backend,
    nativeKernels: manifest.nativeKernels.length,
    gpu: manifest.gpu ?? null,
    ok: true,
    iterations: rows.length,
    wallS: round(wall, 2),
    stepS: pick('perf/step_s').map((x) => round(x, 3)),
    firstStepS: round(rows[0]['perf/step_s'], 3),
    laterMedianStepS: later.length ? round(median(later.map((x) => x['perf/step_s'])), 3) : null,
    phasesMedianS: {},
    tokensPerS: round(median(pick('perf/tokens_per_s')), 1),
  };
  const src = later.length ? later : rows;
  for (const k of ['perf/generate_s', 'perf/reference_s', 'perf/score_s', 'perf/update_s']) res.phasesMedianS[k.slice(5, -2)] = round(median(src.map((x) => x[k])), 3);
  log(`${label}: PPO iteration ${res.stepS.join(', ')} s (first includes warm-up); generation ${res.tokensPerS} tokens/s`);
  return res;
}

async function main(args) {
  const o = parseArgs(args);
  const t0 = performance.now();
  const deadline = t0 + o.budgetS * 1000;
  const root = bundleRoot(o);
  const outFile = path.resolve(o.out ?? (process.env.OUT ? path.join(process.env.OUT, 'gpu-check.json') : 'gpu-check.json'));
  const results = {
    format: 1,
    startedAt: new Date().toISOString(),
    quick: o.quick,
    node: process.version,
    platform: { os: `${os.platform()} ${os.release()}`, arch: os.arch(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' },
    system: core.probeGpuSystem(),
    adapter: null,
    noAdapter: null,
  };
  const save = () => {
    results.totalS = round((performance.now() - t0) / 1000, 2);
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
  };
  log(`bundle root ${root}; results → ${outFile}`);
  for (const line of results.system) log(line);

  // 1. the wasm reference of the parity case, and the reward model the PPO recipe needs
  let rt = await useBackend('wasm');
  const tf = rt.tf;
  const ref = await lmTesting.parityCase(tf);
  await makeRewardModel(tf, root);
  log(`wasm reference: ${ref.logprobs.length} log-probs, loss ${ref.values['loss/total'].toFixed(6)}, grad norm ${ref.values.grad_norm.toFixed(6)}`);

  // 2. the adapter, the parity on it, the kernels of its step
  let gpuOk = false;
  if (!o.cpuOnly) {
    try {
      rt = await useBackend('webgpu');
      gpuOk = true;
      results.adapter = rt.gpu;
      log(`adapter: ${JSON.stringify(rt.gpu)}`);
    } catch (err) {
      results.noAdapter = err.message;
      log(`no adapter: ${err.message}`);
    }
  } else results.noAdapter = '--cpu-only';
  if (gpuOk) {
    try {
      const traced = await core.traceKernels(tf, () => lmTesting.parityCase(tf));
      const gpu = traced.result;
      const byKernel = {};
      for (const c of traced.calls) (byKernel[c.kernel] ??= new Set()).add(c.backend);
      const kernels = Object.fromEntries(Object.entries(byKernel).sort().map(([k, b]) => [k, [...b].join('+')]));
      const off = Object.entries(kernels).filter(([, b]) => b !== 'webgpu');
      const dl = lmTesting.maxAbsDiff(gpu.logprobs, ref.logprobs);
      const dw = lmTesting.maxAbsDiff(gpu.weightsAfterStep, ref.weightsAfterStep);
      results.parity = { tolerance: TOL, logprobsMaxAbsDiff: dl, weightsAfterAdamMaxAbsDiff: dw, lossWasm: ref.values['loss/total'], lossWebgpu: gpu.values['loss/total'], pass: dl < TOL && dw < TOL };
      results.kernels = { dispatched: traced.calls.length, byKernel: kernels, notOnWebgpu: off.map(([k]) => k) };
      log(`parity: log-probs max |Δ| ${dl.toExponential(2)}, weights after Adam max |Δ| ${dw.toExponential(2)} → ${results.parity.pass ? 'PASS' : 'FAIL'} (tolerance ${TOL})`);
      log(`kernels of that step: ${Object.keys(kernels).length} distinct, ${traced.calls.length} calls, ${off.length ? 'NOT on webgpu: ' + off.map(([k, b]) => `${k}(${b})`).join(', ') : 'all on webgpu'}`);
    } catch (err) {
      results.parity = { pass: false, error: err.stack ?? String(err) };
      log(`parity failed to run: ${err.stack ?? err}`);
    }
  } else {
    results.parity = { skipped: `no WebGPU adapter: ${results.noAdapter}`, wasmReference: { logprobs: ref.logprobs.length, loss: ref.values['loss/total'], gradNorm: ref.values.grad_norm } };
  }
  save();

  // 3. the 124M-parameter GPT-2-shaped model: a training step and generation, webgpu then CPU
  const tokenizer = lm.loadPolicy(path.join(root, 'recipes', 'models', 'base'), tf, {}).tokenizer;
  const config = gpt2Config(o.quick);
  const tInit = performance.now();
  const weights = timingWeights(config, 1);
  log(`GPT-2-shaped model: ${lm.parameterCount(config)} parameters, initialised in ${((performance.now() - tInit) / 1000).toFixed(1)} s`);
  results.gpt2 = { config, parameters: lm.parameterCount(config) };
  if (gpuOk) {
    await tf.setBackend('webgpu');
    try {
      results.gpt2.webgpu = await gpt2Bench(tf, weights, config, tokenizer, o, 'webgpu', deadline);
    } catch (err) {
      results.gpt2.webgpu = { error: err.stack ?? String(err) };
      log(`webgpu GPT-2 step failed: ${err.stack ?? err}`);
    }
    save();
  }
  rt = await useBackend('wasm', { nativeKernels: 'allow' });
  results.cpuNativeKernels = rt.nativeKernels;
  log(`CPU: wasm with ${rt.nativeKernels.length ? rt.nativeKernels.length + ' native kernels' : 'stock kernels (native kernels unavailable)'}`);
  // the CPU step of the full model takes long: it gets what the budget leaves before the PPO runs
  const cpuDeadline = Math.min(deadline - (gpuOk ? 120000 : 60000), performance.now() + 90000);
  try {
    results.gpt2.cpu = await gpt2Bench(tf, weights, config, tokenizer, o, `cpu (${rt.nativeKernels.length ? 'native' : 'stock wasm'})`, cpuDeadline);
  } catch (err) {
    results.gpt2.cpu = { error: err.stack ?? String(err) };
    log(`CPU GPT-2 step failed: ${err.stack ?? err}`);
  }
  save();

  // 4. PPO iterations of the detox recipe, each backend in a fresh process
  const iters = o.quick ? 1 : 3;
  results.ppo = { recipe: 'recipes/detox-ppo.yaml (bench/gpu/detox-ppo.yaml)', iterations: iters };
  // the webgpu run may take the time left but 60 s, which the CPU run gets
  if (gpuOk) results.ppo.webgpu = ppoRun(root, 'webgpu', iters, [], 'webgpu', deadline - 60000);
  save();
  results.ppo.cpu = ppoRun(root, 'wasm', iters, ['runtime.nativeKernels=allow'], 'cpu', deadline);
  if (gpuOk && results.ppo.webgpu.ok && results.ppo.cpu.ok && results.ppo.webgpu.laterMedianStepS) {
    results.ppo.speedup = round(results.ppo.cpu.laterMedianStepS / results.ppo.webgpu.laterMedianStepS, 2);
  }
  if (results.gpt2.webgpu?.medianStepMs && results.gpt2.cpu?.medianStepMs) results.gpt2.speedup = round(results.gpt2.cpu.medianStepMs / results.gpt2.webgpu.medianStepMs, 2);
  save();
  log(`done in ${results.totalS} s; results in ${outFile}`);
  if (gpuOk) {
    log(`summary: parity ${results.parity.pass ? 'PASS' : 'FAIL'}; GPT-2 124M step webgpu ${results.gpt2.webgpu?.medianStepMs} ms vs CPU ${results.gpt2.cpu?.medianStepMs} ms; PPO iteration webgpu ${results.ppo.webgpu?.laterMedianStepS} s vs CPU ${results.ppo.cpu?.laterMedianStepS ?? results.ppo.cpu?.firstStepS} s`);
  } else {
    log('summary: no WebGPU adapter, so only the CPU parts ran (see noAdapter and system in the JSON)');
  }
  return gpuOk && !results.parity.pass ? 1 : 0;
}

module.exports = { main };

