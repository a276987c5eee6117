import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container } from 'tsyringe';
import { compileCached } from '@rlhfjs/core';
import { corpusTextJob } from './corpus-text-job';
import { loadCorpus } from './load';

describe('corpus-text job', () => {
  it('writes the training and held-out sentences of a corpus spec as JSONL, the split the spec gives', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-corpustext-'));
    const lines = Array.from({ length: 60 }, (_, i) => `sentence number ${i} is here`);
    fs.writeFileSync(path.join(dir, 'text.txt'), lines.join('\n'));
    const options: Record<string, unknown> = { corpus: { sources: [{ name: 'file', path: 'text.txt' }], heldOutFraction: 0.3 }, output: 'out/train.jsonl', heldOutOutput: 'out/held.jsonl', maxHeldOut: 5 };
    expect(compileCached(corpusTextJob.options)(options)).toBe(true);
    const job = await corpusTextJob.create({ options: options as never, container: container.createChildContainer(), resolvePath: (p) => path.resolve(dir, p), pointer: '/job' });
    const logged: Array<[number, Record<string, number>]> = [];
    const metrics = { log: async (step: number, m: Record<string, number>) => void logged.push([step, m]), event: async () => undefined, plan: () => undefined };
    await job.run({ container: container.createChildContainer(), runDir: dir, startStep: 0, metrics, checkpoint: async () => '' });
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
    const train = read('out/train.jsonl');
    const held = read('out/held.jsonl');
    const expected = loadCorpus({ sources: [{ name: 'file', path: 'text.txt' }], heldOutFraction: 0.3 }, { resolvePath: (p) => path.resolve(dir, p) });
    expect(train).toEqual(expected.train);
    expect(held).toEqual(expected.heldOut.slice(0, 5));
    // every sentence is on exactly one side of the split
    expect(new Set([...expected.train, ...expected.heldOut]).size).toBe(60);
    expect(train.some((t) => held.includes(t))).toBe(false);
    expect(logged).toEqual([[0, { train: expected.train.length, heldOut: 5 }]]);
  });
});
