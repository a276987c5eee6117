import type { Readable, Writable } from 'node:stream';
import type { LabelAppender } from '../labels/appender';
import { makeRecord, type Decision, type LabelItem, type LabelRecord, type LabellerInfo } from '../labels/format';
import { KeyReader } from './keys';
import { DEFAULT_PAIR_QUESTION, DEFAULT_QUESTION, type Labeller, type LabelRequestOptions } from './labeller';

export interface TerminalLabellerOptions {
  input: Readable;
  output: Writable;
  /** Who is labelling (recorded in every label). */
  labellerId: string;
  question?: string;
  pairQuestion?: string;
}

/**
 * Labelling at a terminal: shows the prompt and the completion (or completions A and B) and reads
 * one key: 0/1 (or a/b for a pair), s = skip, u = undo the previous answer, q = quit.
 */
export class TerminalLabeller implements Labeller {
  readonly info: LabellerInfo;
  private keys: KeyReader | undefined;
  private quit = false;

  constructor(
    private readonly appender: LabelAppender,
    private readonly options: TerminalLabellerOptions,
  ) {
    this.info = { kind: 'human', id: options.labellerId, simulated: false };
  }

  async label(items: readonly LabelItem[], options: LabelRequestOptions = {}): Promise<Array<LabelRecord | undefined>> {
    const pending = items.filter((i) => !this.appender.current(i.id));
    const out = this.options.output;
    const done = items.length - pending.length;
    if (done) out.write(`${done} of ${items.length} items already labelled in ${this.appender.file}; asking the other ${pending.length}.\n`);
    const history: number[] = [];
    let i = 0;
    while (i < pending.length && !this.quit) {
      if (options.signal?.aborted) break;
      const item = pending[i];
      this.show(item, done + i + 1, items.length);
      this.keys ??= new KeyReader(this.options.input);
      const key = await this.keys.next();
      if (key === null || key === 'q') {
        this.quit = true;
        out.write(key === null ? 'input ended: stopping.\n' : 'quit.\n');
        break;
      }
      if (key === 'u') {
        const prev = history.pop();
        if (prev === undefined) {
          out.write('nothing to undo in this batch.\n');
          continue;
        }
        this.appender.undo(pending[prev].id, this.info);
        out.write('undone.\n');
        i = prev;
        continue;
      }
      const decision = parseKey(item, key);
      if (!decision) {
        out.write(`unknown key "${key}": ${help(item)}\n`);
        continue;
      }
      this.appender.append(makeRecord(item, decision, this.info, options.source));
      history.push(i);
      i += 1;
    }
    return items.map((it) => this.appender.current(it.id));
  }

  /** True once the person pressed q (or the input ended); later calls ask nothing. */
  get stopped(): boolean {
    return this.quit;
  }

  close(): void {
    this.keys?.close();
    this.keys = undefined;
  }

  private show(item: LabelItem, n: number, total: number): void {
    const lines = [`\n── item ${n} of ${total} ──`, `Prompt:     ${item.prompt}`];
    if (item.type === 'pointwise') {
      lines.push(`Completion: ${item.completion}`, this.options.question ?? DEFAULT_QUESTION);
    } else {
      lines.push(`A: ${item.a}`, `B: ${item.b}`, this.options.pairQuestion ?? DEFAULT_PAIR_QUESTION);
    }
    lines.push(help(item));
    this.options.output.write(lines.join('\n') + '\n> ');
  }
}

function help(item: LabelItem): string {
  return item.type === 'pointwise' ? 'keys: 1 = yes, 0 = no, s = skip, u = undo, q = quit' : 'keys: a, b, s = skip, u = undo, q = quit';
}

export function parseKey(item: LabelItem, key: string): Decision | undefined {
  if (key === 's') return { kind: 'skip' };
  if (item.type === 'pointwise') {
    if (key === '0' || key === '1') return { kind: 'label', label: key === '1' ? 1 : 0 };
    return undefined;
  }
  if (key === 'a' || key === 'b') return { kind: 'choice', choice: key };
  return undefined;
}
