import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabelLine, LabelRecord, LabellerInfo, UndoRecord } from './format';
import { preview } from './preview';
import { readLabels, resolveLabels } from './reader';

/**
 * Appends labels to a JSONL file, one line per call, written and fsynced before the call returns,
 * so a crash loses nothing that was acknowledged. An undo appends a tombstone; the file is never
 * rewritten.
 */
export class LabelAppender {
  private fd: number | undefined;
  private readonly lines: LabelLine[];

  /**
   * @param warn where the one-line warning about a repaired last line goes (default: stderr)
   */
  constructor(
    readonly file: string,
    warn: (line: string) => void = (line) => {
      process.stderr.write(line + '\n');
    },
  ) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.fd = fs.openSync(file, 'a');
    // A last line without its newline (a crash outside this class, a copy cut short) must not
    // swallow the next record: a complete record gets its newline, a torn one is cut off, and
    // either repair is reported.
    const text = fs.readFileSync(file);
    if (text.length > 0 && text[text.length - 1] !== 0x0a) {
      const start = text.lastIndexOf(0x0a) + 1;
      const tail = text.subarray(start).toString('utf8');
      const line = text.subarray(0, start).toString('utf8').split('\n').length;
      let complete = true;
      try {
        JSON.parse(tail);
      } catch {
        complete = false;
      }
      if (complete) {
        this.write('\n');
        warn(`warning: ${file}:${line}: the last line had no newline at its end; added one (the record is kept)`);
      } else {
        fs.ftruncateSync(this.fd, start);
        fs.fsyncSync(this.fd);
        warn(`warning: ${file}:${line}: dropped the last line, cut short (no newline, not valid JSON; ${text.length - start} bytes): ${preview(tail)}`);
      }
    }
    this.lines = readLabels(file).lines;
  }

  /** Labels in force (replacements and undos applied), including those read at open. */
  get labels(): LabelRecord[] {
    return resolveLabels(this.lines);
  }

  /** The label in force for an item id. */
  current(id: string): LabelRecord | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i];
      if (l.id !== id) continue;
      return l.type === 'undo' ? undefined : l;
    }
    return undefined;
  }

  append(record: LabelRecord): void {
    this.write(JSON.stringify(record) + '\n');
    this.lines.push(record);
  }

  /** Withdraw the label of `id` by appending a tombstone. Returns false when nothing was in force. */
  undo(id: string, labeller: LabellerInfo): boolean {
    if (!this.current(id)) return false;
    const rec: UndoRecord = { type: 'undo', id, time: new Date().toISOString(), labeller };
    this.write(JSON.stringify(rec) + '\n');
    this.lines.push(rec);
    return true;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private write(text: string): void {
    if (this.fd === undefined) throw new Error(`label file ${this.file} is closed`);
    fs.appendFileSync(this.fd, text);
    fs.fsyncSync(this.fd);
  }
}
