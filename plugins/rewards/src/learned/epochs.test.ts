import { Rng } from '@rlhfjs/core';
import { nextBatch, startPosition, stepTaken } from './epochs';

describe('epoch position', () => {
  it('walks shuffled epochs in batches, reports each epoch mean loss per row, and resumes from its saved state', () => {
    const shuffle = new Rng(5);
    const st = startPosition(5, shuffle);
    expect(st).toMatchObject({ step: 0, epoch: 1, pos: 0, order: [0, 1, 2, 3, 4], epochLoss: 0 });

    const b1 = nextBatch(st, shuffle, 2);
    expect(b1).toHaveLength(2);
    expect([...st.order].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(stepTaken(st, shuffle, 1, 2, 2)).toBeUndefined();
    expect(nextBatch(st, shuffle, 2)).toEqual(st.order.slice(2, 4));
    expect(stepTaken(st, shuffle, 2, 2, 2)).toBeUndefined();
    const last = nextBatch(st, shuffle, 2);
    expect(last).toEqual(st.order.slice(4));
    // (1·2 + 2·2 + 4·1) / 5 rows = 2
    expect(stepTaken(st, shuffle, 4, 1, 2)).toEqual({ epoch: 1, loss: 2 });
    expect(st).toMatchObject({ step: 3, epoch: 2, pos: 0 });

    // a copy of the state (as a checkpoint holds it) continues with the same batches
    const saved = JSON.parse(JSON.stringify(st)) as typeof st;
    const resumedShuffle = new Rng(saved.shuffle);
    const a = nextBatch(st, shuffle, 2);
    const b = nextBatch(saved, resumedShuffle, 2);
    expect(b).toEqual(a);
    expect(saved.epochLoss).toBe(0);
  });
});
