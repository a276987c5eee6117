import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container } from 'tsyringe';
import { compileCached } from '@rlhfjs/core';
import { evalPromptsJob } from './eval-prompts-job';

describe('eval-prompts job', () => {
  it('validates its options, writes the JSONL and reports counts per kind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-evaljob-'));
    const lines = Array.from({ length: 80 }, (_, i) => (i % 2 ? `${i} that was a crap movie if you ask me` : `${i} we had a lovely walk in the park today`));
    fs.writeFileSync(path.join(dir, 'text.txt'), lines.join('\n'));
    const options: Record<string, unknown> = { corpus: { sources: [{ name: 'file', path: 'text.txt' }], heldOutFraction: 0.5 }, output: 'out/eval.jsonl', count: 20, lexiconShare: 0.5, brownShare: 0 };
    const validate = compileCached(evalPromptsJob.options);
    expect(validate(options)).toBe(true);
    expect(options.seed).toBe(1234); // default filled
    expect(validate({ ...options, count: 0 })).toBe(false);
    const job = await evalPromptsJob.create({ options: options as never, container: container.createChildContainer(), resolvePath: (p) => path.resolve(dir, p), pointer: '/job' });
    const logged: Array<[number, Record<string, number>]> = [];
    const metrics = { log: async (step: number, m: Record<string, number>) => void logged.push([step, m]), event: async () => undefined, plan: () => undefined };
    const { summary } = await job.run({ container: container.createChildContainer(), runDir: dir, startStep: 0, metrics, checkpoint: async () => '' });
    // one step: its counts are logged at step 0
    expect(logged).toEqual([[0, { prompts: 20, 'kind/before-lexicon-word': 10, 'kind/brown-head': 0, 'kind/informal-tail': 10, humanContinuationFlaggedShare: summary.humanContinuationFlaggedShare }]]);
    const rows = fs.readFileSync(path.join(dir, 'out/eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(20);
    expect(summary.prompts).toBe(20);
    expect(summary['kind/before-lexicon-word']).toBe(10);
    expect(summary['kind/informal-tail']).toBe(10);
    // every cut-before-a-word prompt is followed by the lexicon word, the tails are not
    expect(summary.humanContinuationFlaggedShare).toBeCloseTo(10 / 20 + rows.filter((r) => r.kind === 'informal-tail' && /crap/.test(r.continuation)).length / 20, 10);
    expect(fs.existsSync(path.join(dir, 'out/eval.jsonl.meta.json'))).toBe(true);
  });
});
