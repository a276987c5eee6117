'use strict';
// What bench/lora/ppo-iteration.js and memory-plan.js share: a GPT-2-shaped random-init PPO recipe
// (LoRA or full), run in a fresh `rlhf train` process whose peak RSS and wasm heap are recorded.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

/** The recipe text. Prompts are long corpus sentences, so every prompt fills the room context − maxNewTokens. */
function recipe(o) {
  const lora = o.rank > 0 ? `\n    lora: { rank: ${o.rank}, alpha: ${2 * o.rank}, targetModules: [c_attn] }` : '';
  return `name: lora-bench
plugins: ["@rlhfjs/plugin-lm", "@rlhfjs/plugin-rewards", "@rlhfjs/plugin-algorithms"]
agent:
  use: gpt
  options:
    init: { contextSize: ${o.context}, dModel: ${o.dModel}, nLayers: ${o.layers}, nHeads: ${o.heads}, dMlp: ${4 * o.dModel}, vocabSize: ${o.vocab}, tokenizer: { file: ${JSON.stringify(path.join(root, 'recipes', 'models', 'base', 'tokenizer.json'))} } }
    valueHead: true
    suppressEos: true${lora}
    sampling: { maxNewTokens: ${o.newTokens} }
environment:
  use: prompts
  options:
    corpus: { sources: [ { name: brown, weight: 1 } ], heldOutFraction: 0.05, seed: 1234 }
    cut: { minWords: 60, maxWords: 80, split: all }
rewards:
  - { use: function, weight: 1, options: { module: ${JSON.stringify(path.join(root, 'recipes', 'lora', 'letters-reward.js'))}, export: reward } }
algorithm:
  use: ppo
  options: { promptsPerIteration: ${o.prompts}, samplesPerPrompt: 1, minibatchSize: ${o.minibatch}, epochs: 1, learningRate: 0.001 }
klController: { use: fixed, options: { beta: 0.05 } }
runtime: { backend: wasm, seed: 1, steps: ${o.iterations}, checkpointEvery: 0${o.threads !== undefined ? `, threads: ${o.threads}` : ''} }
`;
}

/** Run the recipe in a fresh process; metrics rows, the manifest's memory plan, peak RSS and wasm heap. */
function runRecipe(o) {
  // inside the repository, so the recipe sees its plugin packages; runs/ is ignored by git
  fs.mkdirSync(path.join(root, 'runs'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, 'runs', '.lora-bench-'));
  const file = path.join(dir, 'recipe.yaml');
  fs.writeFileSync(file, recipe(o));
  const out = path.join(dir, 'run');
  const r = spawnSync(process.execPath, ['-r', path.join(__dirname, 'preload-maxrss.js'), path.join(root, 'core', 'bin', 'rlhf.js'), 'train', file, '--out', out], { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 });
  const mem = /BENCH-MEMORY (\{.*\})/.exec(r.stderr);
  if (r.status !== 0) throw new Error(`rlhf train failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  return { rows, plan: manifest.memoryPlan, memory: mem ? JSON.parse(mem[1]) : null, kernels: manifest.nativeKernels.length };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Options from --key=value arguments over defaults. */
function parseArgs(defaults, usage) {
  const o = { ...defaults };
  for (const a of process.argv.slice(2)) {
    const m = /^--([a-zA-Z]+)=(.+)$/.exec(a);
    if (!m || !(m[1] in o)) {
      console.error(usage);
      process.exit(2);
    }
    o[m[1]] = typeof defaults[m[1]] === 'number' ? Number(m[2]) : m[2] === 'true' ? true : m[2] === 'false' ? false : m[2];
  }
  return o;
}

module.exports = { root, recipe, runRecipe, median, parseArgs };
