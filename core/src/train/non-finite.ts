import { DiagnosticError } from '../diagnostics';

/** Who owns a training loop: named in its errors. */
export interface TrainingOwner {
  /** `kind/name` of the plugin, e.g. `algorithm/ppo` or `job/pretrain`. */
  plugin: string;
  /** JSON pointer of the option that sets its learning rate, e.g. `/algorithm/options/learningRate`. */
  pointer: string;
}

export const NON_FINITE_LOSS = 'train/non-finite-loss';

/**
 * The one error of every training loop when a reported loss or the gradient norm is NaN or ±Inf.
 * It is raised before the update is applied, so the weights are those of the previous step.
 */
export function nonFiniteLossError(owner: TrainingOwner, what: string, value: number, step: number): DiagnosticError {
  return new DiagnosticError(
    {
      code: NON_FINITE_LOSS,
      message: `${what} is ${value} at step ${step}; the update was not applied`,
      fix: 'lower the learning rate, or clip the gradient norm where the plugin has an option for it (the weights are still those of the step before)',
      plugin: owner.plugin,
      pointer: owner.pointer,
    },
    { exitCode: 1 },
  );
}
