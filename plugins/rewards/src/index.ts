import { definePackage } from '@rlhfjs/core';
import { cussToxicityScorer, obscenityToxicityScorer } from './lexicon/scorers';

export * from './labels';
export * from './lexicon';
export * from './human';

export default definePackage({
  plugins: [cussToxicityScorer, obscenityToxicityScorer],
});
