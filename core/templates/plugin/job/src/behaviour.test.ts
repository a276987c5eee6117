import { buildPlugin, runBuiltJob } from '@rlhfjs/core/testing';
import { RunDirectory } from '@rlhfjs/core';
import { __EXPORT__ } from './index';

test('logs one row per text and sums the words', async () => {
  const built = await buildPlugin(__EXPORT__, { texts: ['a b c', 'd  e', ''] });
  try {
    const res = await runBuiltJob(built);
    expect(res.summary).toEqual({ texts: 3, words: 5, meanWords: 5 / 3 });
    const rows = new RunDirectory(built.runDir).readMetrics();
    expect(rows.map((r) => [r.step, r.words, r.chars])).toEqual([[0, 3, 5], [1, 2, 4], [2, 0, 0]]);
  } finally {
    built.dispose();
  }
});

test('a resumed run continues from its last checkpoint and ends with the same totals', async () => {
  const built = await buildPlugin(__EXPORT__, { texts: ['a b c', 'd e', 'f'], checkpointEvery: 2 });
  try {
    await runBuiltJob(built);
    const runDir = new RunDirectory(built.runDir);
    expect(runDir.latestCheckpoint()?.step).toBe(2);
    // as after a kill: a fresh instance of the job, resumed from the step-2 checkpoint
    const again = { ...built, instance: await __EXPORT__.create({ options: built.options as never, container: built.container, pointer: '/job', resolvePath: (p) => p }) };
    const res = await runBuiltJob(again, { resume: true });
    expect(res.summary).toEqual({ texts: 3, words: 6, meanWords: 2 });
    expect(runDir.readMetrics().map((r) => [r.step, r.words])).toEqual([[0, 3], [1, 2], [2, 1]]);
  } finally {
    built.dispose();
  }
});
