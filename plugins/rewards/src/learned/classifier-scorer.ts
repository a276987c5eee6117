import { Tokens, definePlugin, type RewardSample, type Scorer } from '@rlhfjs/core';
import { loadClassifierReward, type ClassifierReward } from './classifier-plugins';
import { classifierScorerOptionsSchema } from './classifier-scorer.options';

/** Evaluation with a trained classifier: the probability of a class, and a flag when it is the likelier one. */
export class ClassifierScorer implements Scorer {
  constructor(
    readonly name: string,
    private readonly reward: ClassifierReward,
  ) {}

  async score(samples: RewardSample[]): Promise<{ scores: number[]; flags: boolean[] }> {
    const { scores } = await this.reward.score(samples, { step: -1 });
    return { scores, flags: scores.map((p) => p > 0.5) };
  }
}

export const classifierScorer = definePlugin({
  kind: 'scorer',
  name: 'classifier',
  description: 'Evaluation: the probability a classifier trained by `train-classifier` gives a class (flagged when above 0.5), e.g. p(positive) of the sentiment classifier.',
  options: classifierScorerOptionsSchema,
  create: ({ options, resolvePath, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const reward = loadClassifierReward(tf, resolvePath(options.checkpoint), options.class, 'prob', options.text, pointer);
    return new ClassifierScorer(options.name ?? `classifier-${options.class}`, reward);
  },
});
