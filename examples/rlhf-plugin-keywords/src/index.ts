import { definePackage } from '@rlhfjs/core';
import { keywordBonus } from './keyword-bonus';
import { distinctWords } from './distinct-words';

export { keywordBonus, distinctWords };
export { keywordPattern } from './keyword-bonus';
export { distinctRatio } from './distinct-words';

/** Two plugins of two kinds in one package; nothing registers on import. */
export default definePackage({ apiVersion: '2.0', plugins: [keywordBonus, distinctWords] });
