import type { Rng, RngState } from '@rlhfjs/core';

/**
 * Where a training run over shuffled epochs of its rows stands between two optimiser steps; part of
 * what a checkpoint holds, so that a resumed run takes the same batches as an uninterrupted one.
 */
export interface EpochPosition {
  /** Optimiser steps taken. */
  step: number;
  /** The epoch in progress (1-based) and the position in its shuffled order; 0 = not shuffled yet. */
  epoch: number;
  pos: number;
  order: number[];
  /** The shuffling stream's state after the last step. */
  shuffle: RngState;
  /** Σ loss·rows of the epoch in progress. */
  epochLoss: number;
}

/** The position before the first step over `rows` rows. */
export function startPosition(rows: number, shuffle: Rng): EpochPosition {
  return { step: 0, epoch: 1, pos: 0, order: Array.from({ length: rows }, (_, i) => i), shuffle: shuffle.getState(), epochLoss: 0 };
}

/** The row indices of the next batch; at the start of an epoch the order is shuffled anew and the epoch's loss sum starts at 0. */
export function nextBatch(st: EpochPosition, shuffle: Rng, batchSize: number): number[] {
  if (st.pos === 0) {
    shuffle.shuffle(st.order);
    st.epochLoss = 0;
  }
  return st.order.slice(st.pos, st.pos + batchSize);
}

/**
 * Count a step over `rows` rows whose mean loss was `loss`. At the end of an epoch, moves to the next
 * one and returns the finished epoch with its mean loss per row, Σ loss·rows / rows of the epoch.
 */
export function stepTaken(st: EpochPosition, shuffle: Rng, loss: number, rows: number, batchSize: number): { epoch: number; loss: number } | undefined {
  st.epochLoss += loss * rows;
  st.step += 1;
  st.pos += batchSize;
  st.shuffle = shuffle.getState();
  if (st.pos < st.order.length) return undefined;
  const done = { epoch: st.epoch, loss: st.epochLoss / st.order.length };
  st.epoch += 1;
  st.pos = 0;
  return done;
}
