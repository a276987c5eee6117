/** Gradient registration lives in core, which every plugin shares. */
export { ensureGradients } from '@rlhfjs/core';
