import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

const samples = (completions: string[]) => completions.map((completion) => ({ prompt: 'Could you pass the salt', completion }));

test('scores the bonus where the word occurs as a whole word, in any case', async () => {
  const built = await buildPlugin(__EXPORT__, { word: 'please', bonus: 2 });
  try {
    const res = await built.instance.score(samples([' yes, please!', ' I am pleased', ' PLEASE do', '']), { step: 0 });
    expect(res.scores).toEqual([2, 0, 2, 0]);
    expect(res.details?.matched).toEqual([1, 0, 1, 0]);
  } finally {
    built.dispose();
  }
});

test('caseSensitive and wholeWord change what matches', async () => {
  const built = await buildPlugin(__EXPORT__, { word: 'please', caseSensitive: true, wholeWord: false });
  try {
    const res = await built.instance.score(samples([' pleased', ' PLEASE']), { step: 0 });
    expect(res.scores).toEqual([1, 0]);
  } finally {
    built.dispose();
  }
});
