/**
 * Test fixtures of @rlhfjs/plugin-lm for other packages' tests: `import { tinyModel } from '@rlhfjs/plugin-lm/testing'`.
 * Kept out of the main entry so that a run never loads it.
 */
export { tinyModel, tinyTokenizer } from '../model/testing/tiny';
export { parityCase, maxAbsDiff, PARITY_ROWS, type ParityResult } from './gpu-parity';
