import { DiagnosticError } from '@rlhfjs/core';
import { readLabels } from '../labels/reader';
import { recordKey, type LabelItem, type LabelRecord, type LabellerInfo } from '../labels/format';
import type { Labeller } from './labeller';

/**
 * Serves the labels of an earlier session from its file, looked up by content (prompt and
 * completion, or prompt and the two completions of a pair), so a run that used a person can be
 * reproduced without one. An item that was never labelled is an error, listed with its prompt.
 */
export class ReplayLabeller implements Labeller {
  readonly info: LabellerInfo;
  private readonly byKey = new Map<string, LabelRecord>();

  constructor(readonly file: string) {
    const { labels } = readLabels(file, { strict: true, mustExist: true });
    for (const r of labels) this.byKey.set(recordKey(r), r);
    this.info = { kind: 'replay', id: file, simulated: labels.some((l) => l.labeller.simulated) };
  }

  get size(): number {
    return this.byKey.size;
  }

  async label(items: readonly LabelItem[]): Promise<Array<LabelRecord | undefined>> {
    const out = items.map((i) => this.byKey.get(i.id));
    const missing = items.filter((_, k) => !out[k]);
    if (missing.length) {
      const show = missing
        .slice(0, 3)
        .map((i) => `prompt ${JSON.stringify(clip(i.prompt))} / ${i.type === 'pointwise' ? `completion ${JSON.stringify(clip(i.completion))}` : 'pair'}`)
        .join('; ');
      throw new DiagnosticError(
        {
          code: 'labels/replay-missing',
          message: `replay: ${missing.length} of ${items.length} items have no label in ${this.file} (${this.size} labels there), e.g. ${show}`,
          fix: 'replay needs the same completions as the labelled run: use the same seed, checkpoint and sampling settings, or label the missing items with the terminal or web labeller',
          file: this.file,
        },
        { exitCode: 1 },
      );
    }
    return out;
  }
}

function clip(s: string, n = 60): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}
