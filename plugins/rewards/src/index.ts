import { definePackage } from '@rlhfjs/core';
import { cussToxicityScorer, obscenityToxicityScorer } from './lexicon/scorers';
import { humanReward } from './human/human-reward';
import { labelJob } from './human/label-job';

export * from './labels';
export * from './lexicon';
export * from './human';

export default definePackage({
  plugins: [humanReward, labelJob, cussToxicityScorer, obscenityToxicityScorer],
});
