import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, encodePromptWith, type TF } from '@rlhfjs/core';
import { cpuTf } from '../__fixtures__/tf';
import { BigramPolicy, CharTokenizer } from '@rlhfjs/core/testing';
import { createPlugin, testContainer } from '../__fixtures__/harness';
import { dpoPlugin, type DPO } from './dpo';
import { encodePair } from './encode-pair';

function writePairs(lines: object[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpo-'));
  const f = path.join(dir, 'prefs.jsonl');
  fs.writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return f;
}

describe('dpo plugin', () => {
  let tf: TF;
  beforeAll(async () => {
    tf = await cpuTf();
  });

  it('raises the chosen-vs-rejected margin and lowers the loss', async () => {
    // the made-up preference: completions of "c" are preferred to completions of "d"
    const file = writePairs([
      { prompt: 'a', chosen: 'cc', rejected: 'dd' },
      { prompt: 'b', chosen: 'ccc', rejected: 'ddd' },
      { prompt: 'ab', chosen: 'c', rejected: 'd' },
      { prompt: 'e', chosen: 'cac', rejected: 'dad' },
    ]);
    const policy = BigramPolicy.create(tf, new Rng(2));
    const reference = policy.frozenCopy();
    const dpo = await createPlugin<DPO>(dpoPlugin, { pairsFile: 'prefs.jsonl', minibatchSize: 2, learningRate: 0.05, beta: 0.5 }, testContainer(tf, policy, 1, reference), (p) =>
      path.join(path.dirname(file), p),
    );
    const before = dpo.evaluate();
    // at the start the policy is the reference: margin 0, loss log 2
    expect(before.margin).toBeCloseTo(0, 5);
    expect(before.loss).toBeCloseTo(Math.log(2), 5);
    const margins: number[] = [];
    for (let i = 0; i < 30; i++) {
      const before = tf.memory().numTensors;
      margins.push((await dpo.step(i)).metrics['rewards/margin']);
      if (i > 1) expect(tf.memory().numTensors).toBe(before); // no tensor leaks once Adam's moments exist
    }
    const after = dpo.evaluate();
    expect(after.margin).toBeGreaterThan(1);
    expect(after.loss).toBeLessThan(before.loss - 0.2);
    expect(after.accuracy).toBe(1);
    expect(policy.prob(2, 4)).toBeGreaterThan((reference as BigramPolicy).prob(2, 4)); // "c" after "a" became likelier
    const last = await dpo.step(30);
    for (const k of ['loss/dpo', 'loss/total', 'rewards/chosen', 'rewards/rejected', 'rewards/accuracy', 'grad_norm', 'data/epoch']) expect(Number.isFinite(last.metrics[k])).toBe(true);
    expect(last.metrics['data/epoch']).toBe(15); // 4 pairs, 2 per step: a new pass every 2 steps
  });

  it('resumes the data order and the optimiser exactly', async () => {
    const file = writePairs([
      { prompt: 'a', chosen: 'cc', rejected: 'dd' },
      { prompt: 'b', chosen: 'ce', rejected: 'df' },
      { prompt: 'e', chosen: 'c', rejected: 'd' },
    ]);
    const resolve = (p: string) => path.join(path.dirname(file), p);
    const opts = { pairsFile: 'prefs.jsonl', minibatchSize: 2, learningRate: 0.05 };
    const a = BigramPolicy.create(tf, new Rng(3));
    const ref = a.frozenCopy();
    const dpoA = await createPlugin<DPO>(dpoPlugin, opts, testContainer(tf, a, 5, ref), resolve);
    for (let i = 0; i < 3; i++) await dpoA.step(i);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpo-state-'));
    await dpoA.saveState(dir);
    const b = BigramPolicy.create(tf, new Rng(3));
    b.loadNamedWeights(a.namedWeights());
    const dpoB = await createPlugin<DPO>(dpoPlugin, opts, testContainer(tf, b, 99, ref), resolve);
    await dpoB.loadState(dir);
    for (let i = 3; i < 6; i++) {
      await dpoA.step(i);
      await dpoB.step(i);
    }
    expect(Array.from(b.namedWeights().get('logits')!.dataSync())).toEqual(Array.from(a.namedWeights().get('logits')!.dataSync()));
  });

  it('reports a bad line of the pairs file with its location', async () => {
    const file = writePairs([{ prompt: 'a', chosen: 'cc', rejected: 'dd' }, { prompt: 'a', chosen: 'cc' }]);
    const policy = BigramPolicy.create(tf, new Rng(2));
    await expect(createPlugin(dpoPlugin, { pairsFile: 'prefs.jsonl' }, testContainer(tf, policy), (p) => path.join(path.dirname(file), p))).rejects.toMatchObject({
      diagnostics: [{ code: 'data/bad-pair', file: 'prefs.jsonl', line: 2, message: expect.stringMatching(/"rejected" must be a string/) }],
    });
  });
});

describe('encodePair', () => {
  /** The encoding seam of a policy over a tokenizer: core's rule, with a chosen context window. */
  const policyOf = (tok: CharTokenizer, contextSize: number) => ({ tokenizer: tok, contextSize, encodePrompt: (p: string, room: number, c?: string | readonly number[]) => encodePromptWith(tok, p, room, c) });

  it('adds BOS and EOS and cuts the prompt from the left to fit the context', () => {
    const tok = new CharTokenizer(); // a..f = 2..7, BOS 1, EOS 0
    const e = encodePair(policyOf(tok, 32), { prompt: 'abc', chosen: 'dd', rejected: 'e', where: 'x:1' }, true);
    expect(e.prompt).toEqual([1, 2, 3, 4]);
    expect(e.chosen).toEqual([5, 5, 0]);
    expect(e.rejected).toEqual([6, 0]);
    expect(e.truncated).toBe(false);
    // context 5: chosen needs 3 tokens, so the prompt keeps BOS + its last token ("c")
    const cut = encodePair(policyOf(tok, 5), { prompt: 'abc', chosen: 'dd', rejected: 'e', where: 'x:1' }, true);
    expect(cut.prompt).toEqual([1, 4]);
    expect(cut.truncated).toBe(true);
  });

  it('keeps BOS when the completion alone fills the window, cutting the completion at its end', () => {
    const tok = new CharTokenizer();
    // context 4: "ddee" + EOS is 5 tokens, cut to 3 (= 4 − 1 for the context token), which is BOS
    const e = encodePair(policyOf(tok, 4), { prompt: 'abc', chosen: 'ddee', rejected: 'f', where: 'x:1' }, true);
    expect(e.chosen).toEqual([5, 5, 6]);
    expect(e.prompt).toEqual([1]);
    expect(e.rejected).toEqual([7, 0]);
    expect(e.truncated).toBe(true);
  });

  it('names the file and line of a pair with nothing to condition on', () => {
    const noBos = Object.assign(new CharTokenizer(), { bosId: undefined });
    expect(() => encodePair(policyOf(noBos, 32), { prompt: '', chosen: 'a', rejected: 'b', where: 'data/p.jsonl:7' }, true)).toThrow(
      expect.objectContaining({ diagnostics: [expect.objectContaining({ code: 'data/empty-prompt', file: 'data/p.jsonl', line: 7 })] }),
    );
  });
});
