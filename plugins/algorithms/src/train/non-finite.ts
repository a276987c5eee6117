import { DiagnosticError } from '@rlhfjs/core';

/** The error an update raises, before touching the weights, when a loss or gradient is NaN/Inf. */
export function nonFiniteLoss(plugin: string, what: string, value: number, iteration: number): DiagnosticError {
  return new DiagnosticError(
    {
      code: 'train/non-finite-loss',
      message: `${what} is ${value} at iteration ${iteration}; the update was not applied`,
      fix: 'lower the learning rate or enable gradient clipping (maxGradNorm); the last good checkpoint is kept',
      plugin,
      pointer: '/algorithm/options/learningRate',
    },
    { exitCode: 1 },
  );
}
