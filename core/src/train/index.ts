export { AdamW, OPTIMIZER_STATE_FILE, type AdamWOptions, type LossTerms, type StepOptions, type StepResult } from './adamw';
export { clipByGlobalNorm, clipByGlobalNormAsync, globalNorm, globalNormAsync } from './global-norm';
export { NON_FINITE_LOSS, nonFiniteLossError, type TrainingOwner } from './non-finite';
