import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabelLine, LabelRecord, LabellerInfo, UndoRecord } from './format';
import { readLabels, resolveLabels } from './reader';

/**
 * Appends labels to a JSONL file, one line per call, written and fsynced before the call returns,
 * so a crash loses nothing that was acknowledged. An undo appends a tombstone; the file is never
 * rewritten.
 */
export class LabelAppender {
  private fd: number | undefined;
  private readonly lines: LabelLine[];

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const existing = readLabels(file);
    this.lines = existing.lines;
    this.fd = fs.openSync(file, 'a');
    // A torn last line (a crash mid-write) must not swallow the next record.
    const size = fs.fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const rfd = fs.openSync(file, 'r');
      try {
        fs.readSync(rfd, last, 0, 1, size - 1);
      } finally {
        fs.closeSync(rfd);
      }
      if (last.toString() !== '\n') this.write('\n');
    }
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
