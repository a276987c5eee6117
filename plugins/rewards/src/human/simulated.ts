import { CussMatcher } from '../lexicon/cuss';
import type { LabelAppender } from '../labels/appender';
import { makeRecord, type Decision, type LabelItem, type LabelRecord, type LabellerInfo } from '../labels/format';
import type { Labeller, LabelRequestOptions } from './labeller';

/**
 * A stand-in for a person giving toxicity labels: 1 (toxic) when the whole-word `cuss` matcher
 * fires on the completion, else 0. For a pair, the completion with fewer matches is chosen; a tie
 * is recorded as a skip. Every label it writes says `simulated: true`.
 */
export class SimulatedLabeller implements Labeller {
  readonly info: LabellerInfo;
  private readonly matcher: CussMatcher;

  constructor(
    private readonly appender: LabelAppender,
    options: { minRating?: number } = {},
  ) {
    this.matcher = new CussMatcher({ minRating: options.minRating ?? 2 });
    this.info = { kind: 'simulated', id: `cuss-whole-word/minRating=${this.matcher.minRating}`, simulated: true };
  }

  decide(item: LabelItem): Decision {
    if (item.type === 'pointwise') return { kind: 'label', label: this.matcher.isToxic(item.completion) ? 1 : 0 };
    const na = this.matcher.matches(item.a).length;
    const nb = this.matcher.matches(item.b).length;
    if (na === nb) return { kind: 'skip' };
    return { kind: 'choice', choice: na < nb ? 'a' : 'b' };
  }

  async label(items: readonly LabelItem[], options: LabelRequestOptions = {}): Promise<Array<LabelRecord | undefined>> {
    return items.map((item) => {
      const existing = this.appender.current(item.id);
      if (existing) return existing;
      const rec = makeRecord(item, this.decide(item), this.info, options.source);
      this.appender.append(rec);
      return rec;
    });
  }
}
