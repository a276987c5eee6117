import { definePlugin, type RewardSample, type Scorer } from '@rlhfjs/core';
import { afinnSentimentOptionsSchema, type AfinnSentimentOptions } from './afinn-sentiment.options';

interface SentimentAnalyzer {
  analyze(text: string): { score: number; comparative: number };
}

/**
 * Sentiment from the AFINN-165 word list (the `sentiment` package): a measure that no trained
 * classifier shares, so a policy that games a sentiment classifier shows up against it.
 */
export class AfinnScorer implements Scorer {
  readonly name = 'afinn-sentiment';
  private readonly analyzer: SentimentAnalyzer;

  constructor(private readonly options: AfinnSentimentOptions) {
    const Sentiment = require('sentiment') as new () => SentimentAnalyzer;
    this.analyzer = new Sentiment();
  }

  async score(samples: RewardSample[]): Promise<{ scores: number[]; flags: boolean[] }> {
    const scores = samples.map((s) => this.analyzer.analyze(this.options.text === 'completion' ? s.completion : s.prompt + s.completion).score);
    return { scores, flags: scores.map((v) => v > 0) };
  }
}

export const afinnSentimentScorer = definePlugin({
  kind: 'scorer',
  name: 'afinn-sentiment',
  description: 'Evaluation: AFINN-165 word-list sentiment (sum of word valences; flagged when positive). Independent of any trained classifier.',
  options: afinnSentimentOptionsSchema,
  create: ({ options }) => new AfinnScorer(options),
});
