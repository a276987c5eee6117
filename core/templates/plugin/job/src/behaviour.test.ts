import { buildPlugin } from '@rlhfjs/core/testing';
import { RunDirectory } from '@rlhfjs/core';
import { __EXPORT__ } from './index';

test('logs one row per text and sums the words', async () => {
  const built = await buildPlugin(__EXPORT__, { texts: ['a b c', 'd  e', ''] });
  try {
    const res = await built.instance.run({ container: built.container, runDir: built.runDir, startStep: 0 });
    expect(res.summary).toEqual({ texts: 3, words: 5, meanWords: 5 / 3 });
    const rows = new RunDirectory(built.runDir).readMetrics();
    expect(rows.map((r) => [r.step, r.words, r.chars])).toEqual([[0, 3, 5], [1, 2, 4], [2, 0, 0]]);
  } finally {
    built.dispose();
  }
});
