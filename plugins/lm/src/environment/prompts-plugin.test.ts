import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container as rootContainer } from 'tsyringe';
import { DiagnosticError, Rng, Tokens, compileCached, type Tokenizer } from '@rlhfjs/core';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { promptsEnvironment } from './prompts-plugin';
import { PromptEnvironment } from './prompt-environment';
import { cutSentence, truncatePrompt } from './prompt-sources';
import { unitHash } from '../corpus/hash';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-env-'));
});

function write(name: string, content: string): string {
  fs.writeFileSync(path.join(dir, name), content);
  return name;
}

/** Validate options against the plugin's schema (defaults filled, as the recipe loader does) and build. */
async function build(options: Record<string, unknown>, tokenizer?: Tokenizer): Promise<PromptEnvironment> {
  const validate = compileCached(promptsEnvironment.options);
  const opts = JSON.parse(JSON.stringify(options)) as Parameters<typeof promptsEnvironment.create>[0]['options'];
  if (!validate(opts)) throw new Error(`schema rejected ${JSON.stringify(options)}: ${JSON.stringify(validate.errors)}`);
  const c = rootContainer.createChildContainer();
  if (tokenizer) c.register(Tokens.Tokenizer, { useValue: tokenizer });
  const env = await promptsEnvironment.create({ options: opts, container: c, resolvePath: (p) => path.resolve(dir, p), pointer: '/environment' });
  return env as PromptEnvironment;
}

async function buildError(options: Record<string, unknown>, tokenizer?: Tokenizer): Promise<DiagnosticError> {
  try {
    await build(options, tokenizer);
  } catch (e) {
    if (DiagnosticError.is(e)) return e;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('prompts environment: reading files', () => {
  it('reads JSONL prompts with a configurable field and ids that point at the line', async () => {
    write('p.jsonl', jsonl([{ prompt: 'Once upon a time' }, { prompt: 'The weather today' }]) + '\n' + jsonl([{ prompt: 'In the news,' }]));
    const env = await build({ path: 'p.jsonl', heldOutFraction: 0 });
    expect(env.size).toBe(3);
    expect(env.trainPrompts()).toEqual([
      { id: 'p.jsonl:1', text: 'Once upon a time' },
      { id: 'p.jsonl:2', text: 'The weather today' },
      { id: 'p.jsonl:4', text: 'In the news,' },
    ]);
    write('q.jsonl', jsonl([{ text: 'a', prompt: 'ignored' }]));
    expect((await build({ path: 'q.jsonl', field: 'text', heldOutFraction: 0 })).trainPrompts()[0].text).toBe('a');
  });

  it('reads plain text, one prompt per line, keeping inner spacing', async () => {
    write('p.txt', 'first prompt\r\n\n  second, indented\nthird\n');
    const env = await build({ path: 'p.txt', heldOutFraction: 0 });
    expect(env.trainPrompts().map((p) => p.text)).toEqual(['first prompt', '  second, indented', 'third']);
    expect(env.trainPrompts().map((p) => p.id)).toEqual(['p.txt:1', 'p.txt:3', 'p.txt:4']);
  });

  it('splits held-out prompts by a hash of the text, or takes them from heldOutPath', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `prompt ${i}`);
    write('many.txt', lines.join('\n'));
    const env = await build({ path: 'many.txt', heldOutFraction: 0.25, seed: 9 });
    const expected = lines.filter((l) => unitHash(9, l) < 0.25);
    expect(env.heldOut().map((p) => p.text)).toEqual(expected);
    expect(env.size).toBe(200 - expected.length);
    expect(env.heldOut(3)).toHaveLength(3);
    write('held.txt', 'eval one\neval two\n');
    const env2 = await build({ path: 'many.txt', heldOutPath: 'held.txt' });
    expect(env2.size).toBe(200);
    expect(env2.heldOut().map((p) => p.id)).toEqual(['held.txt:1', 'held.txt:2']);
  });
});

describe('prompts environment: bad input', () => {
  it('a missing file names the path, the recipe field and the fix', async () => {
    const e = await buildError({ path: 'nope.jsonl' });
    expect(e.message).toBe('nope.jsonl does not exist');
    expect(e.diagnostics[0]).toMatchObject({ code: 'data/missing-file', file: 'nope.jsonl', pointer: '/environment/options/path', plugin: 'environment/prompts' });
    expect(e.diagnostics[0].fix).toMatch(/relative to the recipe|resolved against the recipe/);
    const h = await buildError({ path: write('ok.txt', 'x\n'), heldOutPath: 'gone.txt' });
    expect(h.diagnostics[0]).toMatchObject({ file: 'gone.txt', pointer: '/environment/options/heldOutPath' });
  });

  it('an empty file and a file of blank lines', async () => {
    write('empty.jsonl', '');
    let e = await buildError({ path: 'empty.jsonl' });
    expect(e.message).toBe('empty.jsonl holds no prompts (the file is empty)');
    expect(e.diagnostics[0].code).toBe('data/empty-file');
    expect(e.diagnostics[0].fix).toContain('{"prompt": "..."}');
    write('blank.txt', '\n  \n\n');
    e = await buildError({ path: 'blank.txt' });
    expect(e.message).toBe('blank.txt holds no prompts (only blank lines)');
  });

  it('a line that is not JSON gives the line number', async () => {
    write('bad.jsonl', jsonl([{ prompt: 'fine' }]) + '\n{"prompt": "unterminated}\n');
    const e = await buildError({ path: 'bad.jsonl' });
    expect(e.message).toMatch(/^bad\.jsonl:3: the line is not valid JSON/);
    expect(e.diagnostics[0]).toMatchObject({ code: 'data/bad-jsonl', file: 'bad.jsonl', line: 3 });
    expect(e.diagnostics[0].fix).toMatch(/one JSON object per line/);
  });

  it('a line without the prompt field lists the fields it has and suggests the field option', async () => {
    write('f.jsonl', jsonl([{ prompt: 'fine' }, { text: 'oops', id: 7 }]));
    const e = await buildError({ path: 'f.jsonl' });
    expect(e.message).toBe('f.jsonl:2: no "prompt" field (the line has "text", "id")');
    expect(e.diagnostics[0]).toMatchObject({ code: 'data/missing-field', line: 2 });
    expect(e.diagnostics[0].fix).toMatch(/Set the field option .*"text"/);
    write('g.jsonl', jsonl([{ prompt: '' }]));
    expect((await buildError({ path: 'g.jsonl' })).message).toBe('g.jsonl:1: "prompt" is "", not a non-empty string (the line has "prompt")');
    write('h.jsonl', '["an", "array"]\n');
    expect((await buildError({ path: 'h.jsonl' })).message).toMatch(/h\.jsonl:1: expected a JSON object with a "prompt" field, got an array/);
  });

  it('needs exactly one source, and some training prompts', async () => {
    let e = await buildError({});
    expect(e.diagnostics[0]).toMatchObject({ code: 'environment/prompt-source', pointer: '/environment/options' });
    e = await buildError({ path: write('a.txt', 'x'), corpus: { sources: [{ name: 'file', path: 'a.txt' }] } });
    expect(e.message).toMatch(/both `path` and `corpus`/);
    // with fraction 0.9 a single prompt whose hash is below 0.9 leaves nothing to train on
    const lonely = ['p0', 'p1', 'p2', 'p3'].find((t) => unitHash(1234, t) < 0.9) as string;
    write('one.txt', lonely);
    e = await buildError({ path: 'one.txt', heldOutFraction: 0.9 });
    expect(e.diagnostics[0]).toMatchObject({ code: 'environment/no-prompts', pointer: '/environment/options/heldOutFraction' });
  });

  it('maxTokens without a tokenizer in the run says which slot provides it', async () => {
    const e = await buildError({ path: write('a.txt', 'x y z'), maxTokens: 2 });
    expect(e.diagnostics[0]).toMatchObject({ code: 'environment/no-tokenizer', pointer: '/environment/options/maxTokens' });
    expect(e.diagnostics[0].fix).toMatch(/agent/);
  });

  it('the schema rejects unknown options and describes every property', () => {
    const validate = compileCached(promptsEnvironment.options);
    expect(validate({ path: 'a.txt', bogus: 1 })).toBe(false);
    const walk = (s: Record<string, any>, at: string): void => {
      if (s.type === 'object') {
        expect({ at, ap: s.additionalProperties }).toEqual({ at, ap: false });
        for (const [k, p] of Object.entries(s.properties as Record<string, any>)) {
          expect({ at: `${at}/${k}`, d: typeof p.description }).toEqual({ at: `${at}/${k}`, d: 'string' });
          walk(p, `${at}/${k}`);
        }
      }
      if (s.type === 'array' && s.items) walk(s.items, `${at}/items`);
    };
    walk(promptsEnvironment.options as Record<string, any>, '');
  });
});

describe('prompts environment: order and resume', () => {
  const lines = Array.from({ length: 10 }, (_, i) => `p${i}`);
  const make = async (): Promise<PromptEnvironment> => build({ path: write('ten.txt', lines.join('\n')), heldOutFraction: 0 });

  it('serves every prompt once per epoch in a seeded order and reshuffles each epoch', async () => {
    const env = await make();
    const rng = new Rng(42);
    const seq = [...env.nextBatch(4, rng), ...env.nextBatch(4, rng), ...env.nextBatch(4, rng), ...env.nextBatch(8, rng)].map((p) => p.text);
    const epoch1 = seq.slice(0, 10);
    const epoch2 = seq.slice(10, 20);
    expect([...epoch1].sort()).toEqual([...lines].sort());
    expect([...epoch2].sort()).toEqual([...lines].sort());
    expect(epoch1).not.toEqual(lines); // shuffled
    expect(epoch2).not.toEqual(epoch1); // reshuffled
    // the order is the rng's Fisher–Yates permutation of the file order
    const r = new Rng(42);
    const perm = r.shuffle(Array.from({ length: 10 }, (_, i) => i));
    expect(epoch1).toEqual(perm.map((i) => lines[i]));
    // same seed, same sequence
    const env2 = await make();
    const rng2 = new Rng(42);
    expect(env2.nextBatch(20, rng2).map((p) => p.text)).toEqual(seq);
    // a batch larger than the set wraps through several epochs
    expect(env2.nextBatch(25, rng2)).toHaveLength(25);
  });

  it('getState/setState resume the exact prompt sequence', async () => {
    const a = await make();
    const rngA = new Rng(7);
    a.nextBatch(3, rngA);
    a.nextBatch(9, rngA); // into the second epoch
    const saved = JSON.parse(JSON.stringify({ env: a.getState(), rng: rngA.getState() }));
    const next = [...a.nextBatch(5, rngA), ...a.nextBatch(11, rngA)].map((p) => p.id);

    const b = await make();
    b.setState(saved.env);
    const rngB = new Rng(0);
    rngB.setState(saved.rng);
    expect([...b.nextBatch(5, rngB), ...b.nextBatch(11, rngB)].map((p) => p.id)).toEqual(next);
    expect(saved.env).toMatchObject({ version: 1, epoch: 1, position: 2 });
  });

  it('refuses a state from a different prompt set', async () => {
    const a = await make();
    a.nextBatch(3, new Rng(1));
    const other = await build({ path: write('other.txt', 'x\ny\n'), heldOutFraction: 0 });
    expect(() => other.setState(a.getState())).toThrow(/the training prompts differ/);
    expect(() => other.setState({ nonsense: true })).toThrow(/not a prompt-environment state/);
    const tampered = { ...a.getState(), order: [0, 0, 1, 2, 3, 4, 5, 6, 7, 8] };
    expect(() => a.setState(tampered)).toThrow(/not a permutation/);
  });
});

describe('prompts environment: truncation and corpus prompts', () => {
  const tok = ByteBPETokenizer.train(Array(30).fill('the quick brown fox jumps over the lazy dog and then some more words'), { vocabSize: 320 });

  it('truncates to maxTokens of the policy tokenizer, keeping the end by default', async () => {
    const text = 'the quick brown fox jumps over the lazy dog';
    const ids = tok.encode(text);
    expect(ids.length).toBeGreaterThan(4);
    write('t.txt', text);
    const env = await build({ path: 't.txt', heldOutFraction: 0, maxTokens: 3 }, tok);
    expect(env.trainPrompts()[0].text).toBe(tok.decode(ids.slice(-3)));
    expect(tok.encode(env.trainPrompts()[0].text)).toHaveLength(3);
    const right = await build({ path: 't.txt', heldOutFraction: 0, maxTokens: 3, truncate: 'right' }, tok);
    expect(right.trainPrompts()[0].text).toBe(tok.decode(ids.slice(0, 3)));
    const whole = await build({ path: 't.txt', heldOutFraction: 0, maxTokens: 100 }, tok);
    expect(whole.trainPrompts()[0].text).toBe(text);
  });

  it('never cuts inside a multi-byte character', () => {
    const s = 'ok 😀';
    const ids = tok.encode(s);
    const out = truncatePrompt(s, tok, ids.length - 1, 'right');
    expect(out.includes('\uFFFD')).toBe(false);
    expect(s.startsWith(out)).toBe(true);
  });

  it('cuts the first N words of a sentence, N by hash within [min, max], leaving words to complete', () => {
    const o = { minWords: 2, maxWords: 4, minRemainingWords: 1, seed: 3 };
    const item = { id: 's1', text: 'one two three four five six' };
    const p = cutSentence(item, o)!;
    const n = Number(p.id.split('#')[1]);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(4);
    expect(p.text).toBe(item.text.split(' ').slice(0, n).join(' '));
    expect(cutSentence({ id: 's2', text: 'too short' }, o)).toBeUndefined();
    expect(cutSentence({ id: 's3', text: 'a b c' }, { ...o, minWords: 2, maxWords: 9 })!.text).toBe('a b'); // capped: one word left
  });

  it('builds prompts from corpus sentences (held-out by default), deduplicated', async () => {
    const sentences = Array.from({ length: 300 }, (_, i) => `sentence number ${i} goes on for a few more words`);
    write('corpus.txt', [...sentences, sentences[0]].join('\n'));
    const env = await build({
      corpus: { sources: [{ name: 'file', path: 'corpus.txt' }], heldOutFraction: 0.5, seed: 4 },
      cut: { minWords: 3, maxWords: 3 },
      heldOutFraction: 0.1,
    });
    const all = [...env.trainPrompts(), ...env.heldOut()];
    const expectedSentences = sentences.filter((s) => unitHash(4, s) < 0.5);
    expect(all.map((p) => p.text).sort()).toEqual(expectedSentences.map((s) => s.split(' ').slice(0, 3).join(' ')).sort());
    expect(new Set(all.map((p) => p.text)).size).toBe(all.length);
    expect(all[0].id).toMatch(/^file:corpus\.txt:\d+#3$/);
  });
});
