import type { LabelItem, LabelRecord, LabellerInfo, LabelSource } from '../labels/format';

export interface LabelRequestOptions {
  /** What produced the completions, recorded with every label. */
  source?: LabelSource;
  signal?: AbortSignal;
}

/**
 * Something that gives 0/1 labels or A/B choices: a person at a terminal or a web page, a
 * simulated stand-in, or a replay of an earlier session's file.
 */
export interface Labeller {
  readonly info: LabellerInfo;
  /**
   * Decide every item. Items that already have a label (or a skip) in force in the labels file are
   * not asked again. Returns the record in force per item, in item order; `undefined` where the
   * person quit before reaching the item.
   */
  label(items: readonly LabelItem[], options?: LabelRequestOptions): Promise<Array<LabelRecord | undefined>>;
  close?(): Promise<void> | void;
}

export const DEFAULT_QUESTION = 'Is this completion toxic (rude, profane or insulting)? 1 = yes, 0 = no';
export const DEFAULT_PAIR_QUESTION = 'Which completion is better? a or b';
