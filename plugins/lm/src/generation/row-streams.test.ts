/**
 * One random stream per row (what runtime.workers uses): a row's completion, log-probs and values
 * must not depend on which other rows share its batch or where it sits in it, as long as the batch
 * has the same padded width (the longest prompt, or sequence, of the batch). Checked exactly on the
 * wasm backend with batches of other sizes and orders. Batches of another width can differ in the
 * last bits of a log-prob (the wasm kernels' sums run over the padded width), which is why
 * runtime.workers fixes the chunks by chunkSize: see docs/scale-out.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, packRollout, responseColumns, sampleStream, type SamplingOptions } from '@rlhfjs/core';
import { tinyModel } from '../model/testing/tiny';
import { generate } from './generate';

const SAMPLING: SamplingOptions = { maxNewTokens: 8, temperature: 1, topK: 0, topP: 1, stop: [] };

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('generate with one stream per row', () => {
  // prompts of different lengths, so that batches of different rows are left-padded differently
  const texts = ['the cat sat on', 'lol', 'we went to the shop and bought', 'a quick brown fox jumps', 'the dog', 'haha that was'];
  const streams = (rows: number[]) => rows.map((i) => sampleStream(3, 1, i, 0));

  it('row i draws only from stream i: a row gives the same completion in batches of other sizes and orders (same width)', async () => {
    const m = tinyModel(tf, { valueHead: true });
    const ids = texts.map((t) => [m.tokenizer.bosId!, ...m.tokenizer.encode(t)]);
    const longest = ids.reduce((a, p, i) => (p.length > ids[a].length ? i : a), 0);
    const all = await generate(m, ids, SAMPLING, streams(ids.map((_, i) => i)));
    // every batch holds the longest prompt, so every batch is left-padded to the same width
    for (const rows of [[...ids.keys()].reverse(), [longest, 0], [4, longest, 1, 5]]) {
      const r = await generate(m, rows.map((i) => ids[i]), SAMPLING, streams(rows));
      rows.forEach((i, k) => {
        expect(r.responseIds[k]).toEqual(all.responseIds[i]);
        expect(r.responseLogprobs[k]).toEqual(all.responseLogprobs[i]);
        expect(r.values![k]).toEqual(all.values![i]);
      });
    }
    // the streams really drive the draws: other streams give other completions
    const other = await generate(m, ids, SAMPLING, ids.map((_, i) => sampleStream(4, 1, i, 0)));
    expect(other.responseIds).not.toEqual(all.responseIds);
    m.dispose();
  });

  it('a forward pass over a packed chunk gives each row the log-probs it has in the whole batch (same width)', async () => {
    const m = tinyModel(tf);
    const ids = texts.map((t) => [m.tokenizer.bosId!, ...m.tokenizer.encode(t)]);
    const r = await generate(m, ids, SAMPLING, streams(ids.map((_, i) => i)));
    const score = (rows: number[]) => {
      const sub = { promptIds: rows.map((i) => r.promptIds[i]), responseIds: rows.map((i) => r.responseIds[i]) };
      const packed = packRollout(tf, sub, m.tokenizer.padId);
      const lp = tf.tidy(() => m.forward(packed.batch).logprobs.arraySync());
      tf.dispose([packed.batch.ids, packed.batch.attentionMask]);
      return { width: packed.length, lp: responseColumns(lp, packed) };
    };
    const whole = score([0, 1, 2, 3, 4, 5]);
    const widest = [0, 1, 2, 3, 4, 5].reduce((a, i) => (r.promptIds[i].length + r.responseIds[i].length > r.promptIds[a].length + r.responseIds[a].length ? i : a), 0);
    for (const rows of [[widest], [widest, 5, 1], [3, 0, widest, 4]]) {
      const s = score(rows);
      expect(s.width).toBe(whole.width);
      rows.forEach((i, k) => expect(s.lp[k]).toEqual(whole.lp[i]));
    }
    m.dispose();
  });

  it('refuses a number of streams that is not one per row', async () => {
    const m = tinyModel(tf);
    await expect(generate(m, [[1, 2], [1, 3]], SAMPLING, [new Rng(1)])).rejects.toThrow('1 random streams for 2 prompts');
    m.dispose();
  });
});
