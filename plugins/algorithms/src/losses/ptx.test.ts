import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Scalar } from '@tensorflow/tfjs-core';
import { DiagnosticError, Rng } from '@rlhfjs/core';
import { cpuTf } from '../__fixtures__/tf';
import { BigramPolicy } from '@rlhfjs/core/testing';
import { PtxTerm, createPtxTerm, readSentences, withPtx } from '@rlhfjs/core';

const OPTS = { file: 'x', field: 'text', batchSize: 2, evalEvery: 10, evalSentences: 256 };

/** Logits all 0 (uniform over 8 ids) except from BOS (id 1) to "a" (id 2): ln 7, so p(a | BOS) = 7/(7 + 7) = 0.5. */
async function policy() {
  const tf = await cpuTf();
  const logits = Array.from({ length: 8 }, () => new Array<number>(8).fill(0));
  logits[1][2] = Math.log(7);
  return { tf, p: new BigramPolicy(tf, { logits }) };
}

describe('the ptx term (PPO-ptx)', () => {
  // "a" → [BOS, a]: −ln p(a|BOS) = ln 2. "ab" → [BOS, a, b]: ln 2 and −ln p(b|a) = ln 8.
  // L_ptx of the batch ["a", "ab"] = (ln 2 + ln 2 + ln 8)/3 = 5·ln 2/3 = 1.155245; held-out perplexity exp(that) = 2^(5/3) = 3.174802
  it('is the mean next-token NLL of corpus sentences, and its held-out perplexity the exp of that', async () => {
    const { tf, p } = await policy();
    const ptx = new PtxTerm(tf, p, new Rng(1), 1, OPTS, { train: ['a', 'ab'], heldOut: ['a', 'ab'] });
    const l = ptx.loss([p.encodePrompt('a', 24).ids, p.encodePrompt('ab', 24).ids]);
    expect(l.dataSync()[0]).toBeCloseTo((5 * Math.log(2)) / 3, 5);
    const h = ptx.heldOutPerplexity()!;
    expect(h.nll).toBeCloseTo((5 * Math.log(2)) / 3, 5);
    expect(h.perplexity).toBeCloseTo(2 ** (5 / 3), 4);
  });

  // total = L_RL + γ·L_ptx: with L_RL = 0.25 and γ = 2 on the batch above, 0.25 + 2·1.155245 = 2.560490
  it('adds γ·L_ptx to the loss and reports L_ptx', async () => {
    const { tf, p } = await policy();
    const ptx = new PtxTerm(tf, p, new Rng(1), 2, { ...OPTS, batchSize: 2 }, { train: ['a', 'ab'], heldOut: [] });
    const out = withPtx(tf, ptx, tf.scalar(0.25) as Scalar, {});
    // one pass of two sentences: the batch is both, in either order
    expect(out.total.dataSync()[0]).toBeCloseTo(0.25 + (2 * 5 * Math.log(2)) / 3, 5);
    expect(out.report['loss/ptx'].dataSync()[0]).toBeCloseTo((5 * Math.log(2)) / 3, 5);
    expect(ptx.heldOutPerplexity()).toBeNull();
  });

  it('draws batches in a seeded order that a restored state continues', async () => {
    const { tf, p } = await policy();
    const train = ['a', 'ab', 'abc', 'b', 'bc', 'c', 'cd'];
    const a = new PtxTerm(tf, p, new Rng(7), 1, { ...OPTS, batchSize: 3 }, { train, heldOut: [] });
    a.nextBatch();
    a.nextBatch();
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const next = [a.nextBatch(), a.nextBatch()];
    const b = new PtxTerm(tf, p, new Rng(99), 1, { ...OPTS, batchSize: 3 }, { train, heldOut: [] });
    b.setState(saved);
    expect([b.nextBatch(), b.nextBatch()]).toEqual(next);
    // every sentence once per pass: the first 7 draws of a fresh term are the 7 sentences
    const c = new PtxTerm(tf, p, new Rng(7), 1, { ...OPTS, batchSize: 7 }, { train, heldOut: [] });
    expect(c.nextBatch().map((ids) => p.tokenizer.decode(ids)).sort()).toEqual([...train].sort());
  });

  it('reads plain-text and JSONL corpora and refuses a coefficient without a corpus', async () => {
    const { tf, p } = await policy();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptx-'));
    fs.writeFileSync(path.join(dir, 's.txt'), 'ab\n\nbc\n');
    fs.writeFileSync(path.join(dir, 's.jsonl'), '{"text":"ab"}\n{"text":"cd"}\n');
    expect(readSentences(path.join(dir, 's.txt'), 's.txt', 'text', '/p', 'algorithm/ppo')).toEqual(['ab', 'bc']);
    expect(readSentences(path.join(dir, 's.jsonl'), 's.jsonl', 'text', '/p', 'algorithm/ppo')).toEqual(['ab', 'cd']);
    fs.writeFileSync(path.join(dir, 'bad.jsonl'), '{"txt":"ab"}\n');
    expect(() => readSentences(path.join(dir, 'bad.jsonl'), 'bad.jsonl', 'text', '/p', 'algorithm/ppo')).toThrow(/bad.jsonl:1: no non-empty string "text"/);
    const ctx = { resolvePath: (f: string) => path.join(dir, f), pointer: '/algorithm', plugin: 'algorithm/ppo' };
    expect(createPtxTerm(tf, p, new Rng(1), { ptxCoef: 0 }, ctx)).toBeUndefined();
    let err: unknown;
    try {
      createPtxTerm(tf, p, new Rng(1), { ptxCoef: 1 }, ctx);
    } catch (e) {
      err = e;
    }
    expect(DiagnosticError.is(err) && err.diagnostics[0].pointer).toBe('/algorithm/options/ptx');
    expect(() => createPtxTerm(tf, p, new Rng(1), { ptxCoef: 1, ptx: { ...OPTS, file: 'missing.txt' } }, ctx)).toThrow(/cannot read the ptx corpus missing.txt/);
    expect(createPtxTerm(tf, p, new Rng(1), { ptxCoef: 1, ptx: { ...OPTS, file: 's.txt', heldOutFile: 's.jsonl' } }, ctx)?.heldOutPerplexity()?.perplexity).toBeGreaterThan(1);
  });
});
