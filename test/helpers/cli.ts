import { Writable } from 'node:stream';
import { cliMain } from '@rlhfjs/core';

function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

/** Run `rlhf` in this process (sources), capturing what it prints. */
export async function rlhf(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await cliMain(args, { stdout, stderr, cwd });
  return { code, out: stdout.text, err: stderr.text };
}
