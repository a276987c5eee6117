import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

test('counts words and flags completions over maxWords', async () => {
  const built = await buildPlugin(__EXPORT__, { maxWords: 3 });
  try {
    const completions = [' one two', ' a b  c d e', '', ' x y z'];
    const res = await built.instance.score(completions.map((completion) => ({ prompt: 'p', completion })));
    expect(res.scores).toEqual([2, 5, 0, 3]);
    expect(res.flags).toEqual([false, true, false, false]);
    expect(built.instance.name).toBe('__PLUGIN__');
  } finally {
    built.dispose();
  }
});
