import { buildPlugin } from '@rlhfjs/core/testing';
import { distinctRatio, distinctWords, keywordBonus } from './index';

const samples = (completions: string[]) => completions.map((completion) => ({ prompt: 'Reply to the note', completion }));

test('keyword-bonus: weights summed once per keyword, or per occurrence, then capped', async () => {
  const text = ' Please, thanks and thanks again';
  const once = await buildPlugin(keywordBonus, { keywords: { thanks: 1, please: 0.5, ugh: -2 } });
  const each = await buildPlugin(keywordBonus, { keywords: { thanks: 1, please: 0.5 }, perOccurrence: true });
  const capped = await buildPlugin(keywordBonus, { keywords: { thanks: 1, please: 0.5 }, perOccurrence: true, cap: 2 });
  try {
    expect((await once.instance.score(samples([text, ' ugh, thanksgiving', '']), { step: 0 })).scores).toEqual([1.5, -2, 0]);
    const r = await each.instance.score(samples([text]), { step: 0 });
    expect(r.scores).toEqual([2.5]); // 0.5 + 2 × 1
    expect(r.details?.keywords).toEqual([3]);
    expect((await capped.instance.score(samples([text]), { step: 0 })).scores).toEqual([2]);
  } finally {
    for (const b of [once, each, capped]) b.dispose();
  }
});

test('distinct-words: share of distinct words, flagged below minRatio', async () => {
  expect(distinctRatio('the cat the cat')).toBe(0.5);
  expect(distinctRatio('')).toBe(1);
  const built = await buildPlugin(distinctWords, { minRatio: 0.6, minWords: 4 });
  try {
    const res = await built.instance.score(samples(['the cat the cat', 'a fine day today', 'no no', '']));
    expect(res.scores).toEqual([0.5, 1, 0.5, 1]);
    expect(res.flags).toEqual([true, false, false, false]); // "no no" is too short to judge
  } finally {
    built.dispose();
  }
});
