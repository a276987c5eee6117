import { Rng } from '@rlhfjs/core';
import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

test('one epoch serves every training prompt once; the held-out prompts are never served', async () => {
  const built = await buildPlugin(__EXPORT__, { prompts: ['a', 'b', 'c', 'd', 'e'], heldOut: 2 });
  try {
    const env = built.instance;
    expect(env.size).toBe(3);
    expect(env.heldOut().map((p) => p.text)).toEqual(['d', 'e']);
    const rng = new Rng(3);
    const epoch = env.nextBatch(3, rng).map((p) => p.text);
    expect([...epoch].sort()).toEqual(['a', 'b', 'c']);
    const saved = env.getState();
    const rngAtSave = rng.getState();
    const next = env.nextBatch(4, rng).map((p) => p.text);
    expect([...next.slice(0, 3)].sort()).toEqual(['a', 'b', 'c']); // a new epoch, a new order
    // a resumed run (state and random stream restored) sees the same prompts
    env.setState(JSON.parse(JSON.stringify(saved)));
    expect(env.nextBatch(4, new Rng(rngAtSave)).map((p) => p.text)).toEqual(next);
  } finally {
    built.dispose();
  }
});

test('heldOut must leave training prompts', async () => {
  await expect(buildPlugin(__EXPORT__, { prompts: ['a', 'b'], heldOut: 2 })).rejects.toThrow(/leaves no training prompts/);
});
