#!/usr/bin/env node
'use strict';
/**
 * Load time, peak memory and generation speed of Hugging Face checkpoints read by the
 * hf-causal-lm agent (plugins/lm/src/hf), at real sizes with random weights:
 *   - gpt2-124m:   GPT2LMHeadModel's shape (vocab 50257, 1024 positions, 12 layers × 768, 12 heads), F32
 *                  (the dtype of the Hub's gpt2 model.safetensors);
 *   - smollm2-135m: HuggingFaceTB/SmolLM2-135M's shape (llama; vocab 49152, 30 layers × 576, 9 heads,
 *                  3 key/value heads, MLP 1536, tied embeddings, rope_theta 100000), BF16 like the Hub's;
 * beside the project's own base model (recipes/models/base, 1M parameters) as the reference.
 * For each: the agent is built the way `rlhf generate` builds it (from the folder alone), timed,
 * then one prompt generates --new tokens with the KV cache after a 2-token warm-up (tokens/s: prompt
 * pass included); peak RSS is the process's
 * maxRSS. Then the `rlhf generate` command itself is run and timed end to end (load included).
 *
 * Build first: npx tsc -b tsconfig.json
 * Run:         nice node bench/hf/load-generate.js [--new 16] [--backend wasm] [--dir /tmp/rlhfjs-hf-bench] [--python python3]
 * PyTorch:     bench/hf/torch_generate.py gives a reference tokens/s (skipped with a note without python3-torch).
 * The checkpoints (≈ 500 MB and 270 MB) are written once into --dir and reused.
 * Numbers depend on the machine and on its load: compare figures from one run only.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const root = path.resolve(__dirname, '../..');
const NEW = Number(arg('new', '16'));
const BACKEND = arg('backend', 'wasm');
const DIR = path.resolve(arg('dir', '/tmp/rlhfjs-hf-bench'));
const PROMPT = 'The weather today is';

let lm, core;
try {
  lm = require(path.join(root, 'plugins/lm/dist/index.js'));
  core = require(path.join(root, 'core/dist/index.js'));
} catch (e) {
  console.error(`build first (npx tsc -b tsconfig.json): ${e.message}`);
  process.exit(2);
}

const MODELS = {
  'gpt2-124m': {
    dtype: 'F32',
    config: { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_ctx: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256, torch_dtype: 'float32' },
    prefix: 'transformer.',
  },
  'smollm2-135m': {
    dtype: 'BF16',
    config: { architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 100000, hidden_act: 'silu', tie_word_embeddings: true, bos_token_id: 0, eos_token_id: 0, torch_dtype: 'bfloat16' },
    prefix: '',
  },
};

/** A byte-level tokenizer.json with the model's whole vocabulary: the 256 byte symbols, filler tokens, and <|endoftext|> as the last id, so sampling runs over every row as with the real tokenizer. */
function tokenizerJson(vocabSize) {
  const base = lm.ByteBPETokenizer.train(['a'], { vocabSize: 258 }).toJSON();
  const vocab = { ...base.model.vocab };
  let id = Object.keys(vocab).length;
  const eos = base.added_tokens[0];
  delete vocab[eos.content];
  id = Math.max(...Object.values(vocab)) + 1;
  for (let i = 0; id < vocabSize - 1; i++, id++) vocab[`<filler_${i}>`] = id;
  return { ...base, added_tokens: [{ ...eos, id: vocabSize - 1 }], model: { ...base.model, vocab: { ...vocab, [eos.content]: vocabSize - 1 } } };
}

async function writeModel(name) {
  const dir = path.join(DIR, name);
  if (fs.existsSync(path.join(dir, 'config.json'))) return dir;
  const m = MODELS[name];
  const tmp = `${dir}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const arch = lm.parseHFConfig(m.config, 'config.json');
  const specs = require(path.join(root, 'plugins/lm/dist/hf/config.js')).tensorSpecs(arch, m.prefix);
  const rng = new core.Rng(7);
  const tensors = specs.map((s) => ({
    name: s.name,
    dtype: m.dtype,
    shape: s.shape,
    data: () => {
      const n = s.shape.reduce((a, b) => a * b, 1);
      const a = new Float32Array(n);
      if (/(ln_|norm|layernorm)/.test(s.name) && s.name.endsWith('weight')) a.fill(1);
      else if (!s.name.endsWith('bias')) for (let i = 0; i < n; i++) a[i] = (rng.next() - 0.5) * 0.04;
      return a;
    },
  }));
  await lm.writeSafetensorsFile(path.join(tmp, 'model.safetensors'), tensors);
  fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(m.config, null, 2));
  fs.writeFileSync(path.join(tmp, 'tokenizer.json'), JSON.stringify(tokenizerJson(m.config.vocab_size)));
  fs.writeFileSync(path.join(tmp, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>' }));
  fs.renameSync(tmp, dir);
  return dir;
}

/** In a fresh process: build the agent as `rlhf generate` does, then generate. */
async function child(dir) {
  const { agentFromCheckpoint } = require(path.join(root, 'core/dist/cli/commands/generate.js'));
  const t0 = performance.now();
  const agent = await agentFromCheckpoint(dir, { backend: BACKEND, seed: 0, sampling: { maxNewTokens: NEW }, cwd: root });
  const t1 = performance.now();
  const rssLoad = process.resourceUsage().maxRSS / 1024;
  const ids = [agent.policy.encodePrompt(PROMPT, agent.policy.contextSize - NEW).ids];
  // a 2-token warm-up (kernel set-up, first allocations), then the timed generation
  await agent.policy.generate(ids, { ...agent.sampling, maxNewTokens: 2 }, new core.Rng(0));
  const tg = performance.now();
  const out = await agent.policy.generate(ids, { ...agent.sampling, maxNewTokens: NEW }, new core.Rng(1));
  const t2 = performance.now();
  const n = out.responseIds[0].length;
  const params = [...agent.policy.namedWeights().values()].reduce((s, t) => s + t.size, 0);
  console.log(JSON.stringify({ params, load_s: (t1 - t0) / 1000, rss_after_load_mb: rssLoad, tokens: n, gen_s: (t2 - tg) / 1000, tokens_per_s: n / ((t2 - tg) / 1000), peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
}

function cliRun(dir) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, path.join(root, 'core/bin/rlhf.js'), 'generate', dir, '-p', PROMPT, '--max-new-tokens', String(NEW), '--backend', BACKEND, '--json'], { cwd: root, encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`rlhf generate ${dir} failed: ${r.stderr}`);
  const peak = Number(r.stderr.trim().split('\n').pop()) / 1024;
  return { wall_s: wall, peak_rss_mb: peak };
}

async function main() {
  if (args[0] === '--child') return child(args[1]);
  fs.mkdirSync(DIR, { recursive: true });
  const rows = [['reference: recipes/models/base (rlhfjs-gpt)', path.join(root, 'recipes/models/base')]];
  for (const name of Object.keys(MODELS)) {
    const t = performance.now();
    const dir = await writeModel(name);
    console.error(`checkpoint ${dir} ready (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    rows.push([name, dir]);
  }
  console.log(`backend ${BACKEND}, prompt ${JSON.stringify(PROMPT)}, ${NEW} new tokens, batch 1, KV cache\n`);
  console.log('model | parameters | weights on disk | load s | RSS after load MB | peak RSS MB | generate tokens/s | `rlhf generate` wall s | `rlhf generate` peak RSS MB');
  console.log('--- | --- | --- | --- | --- | --- | --- | --- | ---');
  for (const [name, dir] of rows) {
    const r = spawnSync(process.execPath, [__filename, '--child', dir, '--new', String(NEW), '--backend', BACKEND], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop());
    const bytes = fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
    const c = cliRun(dir);
    console.log(`${name} | ${(m.params / 1e6).toFixed(1)}M | ${(bytes / 2 ** 20).toFixed(0)} MB | ${m.load_s.toFixed(2)} | ${m.rss_after_load_mb.toFixed(0)} | ${m.peak_rss_mb.toFixed(0)} | ${m.tokens_per_s.toFixed(1)} | ${c.wall_s.toFixed(1)} | ${c.peak_rss_mb.toFixed(0)}`);
  }
  const py = spawnSync(arg('python', 'python3'), [path.join(__dirname, 'torch_generate.py'), String(NEW), '1'], { encoding: 'utf8' });
  if (py.status !== 0) {
    console.log(`\nPyTorch reference skipped: ${(py.error?.message ?? py.stderr.trim().split('\n').pop()) || 'python3 with torch not found'}`);
    return;
  }
  console.log('\nreference: PyTorch eager, float32, 1 thread, the forwards of test/hf-parity/make_checkpoints.py (no KV cache: each token recomputes the sequence)');
  console.log('model | generate tokens/s');
  console.log('--- | ---');
  for (const line of py.stdout.trim().split('\n').filter((l) => l.startsWith('{'))) {
    const r = JSON.parse(line);
    console.log(`${r.model} | ${r.tokens_per_s.toFixed(1)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
