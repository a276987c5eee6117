import * as readline from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * One key at a time from an input stream. On a TTY the terminal is put in raw mode and each key
 * press counts; otherwise the input is read line by line and the first character of each non-empty
 * line is the key (so a test or a script can drive it through stdin). `null` means the input ended.
 */
export class KeyReader {
  private readonly queue: Array<string | null> = [];
  private waiting: ((k: string | null) => void) | undefined;
  private ended = false;
  private readonly cleanup: () => void;

  constructor(input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }) {
    if (input.isTTY && typeof input.setRawMode === 'function') {
      readline.emitKeypressEvents(input);
      input.setRawMode(true);
      const onKey = (str: string | undefined, key: { ctrl?: boolean; name?: string } | undefined) => {
        if (key?.ctrl && (key.name === 'c' || key.name === 'd')) this.push(null);
        else if (str) this.push(str.toLowerCase());
      };
      input.on('keypress', onKey);
      input.resume();
      this.cleanup = () => {
        input.off('keypress', onKey);
        input.setRawMode?.(false);
        input.pause();
      };
    } else {
      const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
      rl.on('line', (line) => {
        const k = line.trim();
        if (k) this.push(k[0].toLowerCase());
      });
      rl.on('close', () => this.push(null));
      this.cleanup = () => rl.close();
    }
  }

  next(): Promise<string | null> {
    if (this.queue.length) return Promise.resolve(this.queue.shift()!);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    this.cleanup();
  }

  private push(k: string | null): void {
    if (this.ended) return;
    if (k === null) this.ended = true;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(k);
    } else this.queue.push(k);
  }
}
