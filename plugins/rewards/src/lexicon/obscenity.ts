import { RegExpMatcher, englishDataset, englishRecommendedTransformers } from 'obscenity';
import type { LexiconMatch } from './cuss';

/**
 * The `obscenity` package's English dataset with its recommended transformers (leetspeak,
 * confusable characters, repeated letters). A different measure from {@link CussMatcher}: use one
 * for training labels and the other for evaluation, so that gaming the first one shows.
 */
export class ObscenityMatcher {
  private readonly matcher: RegExpMatcher;

  constructor() {
    this.matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  }

  matches(text: string): LexiconMatch[] {
    const seen = new Set<number>();
    const out: LexiconMatch[] = [];
    for (const m of this.matcher.getAllMatches(text, true)) {
      if (seen.has(m.startIndex)) continue;
      seen.add(m.startIndex);
      const meta = englishDataset.getPayloadWithPhraseMetadata(m).phraseMetadata;
      out.push({ word: meta?.originalWord ?? text.slice(m.startIndex, m.endIndex + 1), index: m.startIndex });
    }
    return out;
  }

  isToxic(text: string): boolean {
    return this.matcher.hasMatch(text);
  }
}
