import { definePackage } from '@rlhfjs/core';
import { cussToxicityScorer, obscenityToxicityScorer } from './lexicon/scorers';
import { humanReward } from './human/human-reward';
import { labelJob } from './human/label-job';
import { functionReward } from './remote/function-reward';
import { httpReward } from './remote/http-reward';
import { classifierReward, trainClassifierJob } from './learned/classifier-plugins';
import { classifierScorer } from './learned/classifier-scorer';
import { afinnSentimentScorer } from './lexicon/afinn';
import { rewardModelReward, trainRewardModelJob } from './learned/reward-model-plugins';

export * from './labels';
export * from './lexicon';
export * from './human';
export * from './remote';
export * from './learned';

export default definePackage({
  plugins: [humanReward, functionReward, httpReward, classifierReward, rewardModelReward, labelJob, trainClassifierJob, trainRewardModelJob, cussToxicityScorer, obscenityToxicityScorer, classifierScorer, afinnSentimentScorer],
});
