import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { main as cliMain } from '../cli/main';

/** This package's own folder (the one holding package.json), from src/testing or dist/testing alike. */
const CORE_DIR = path.resolve(__dirname, '..', '..');

/** A throwaway project folder made by {@link makeProject}. */
export interface TestProject {
  /** The project's folder, in the system's temporary directory. */
  readonly dir: string;
  /** Write `text` to `rel` inside the project (folders created as needed); returns the absolute path. */
  write(rel: string, text: string): string;
  /** Remove the folder and everything in it. */
  cleanup(): void;
}

/**
 * A throwaway project folder outside any workspace, with @rlhfjs/core and the given packages
 * (name → folder) "installed" in its node_modules as symlinks, the way a user's project has them.
 */
export function makeProject(packages: Record<string, string> = {}): TestProject {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-project-'));
  const all: Record<string, string> = { '@rlhfjs/core': CORE_DIR, ...packages };
  for (const [name, target] of Object.entries(all)) {
    const link = path.join(dir, 'node_modules', name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(target, link, 'dir');
  }
  return {
    dir,
    write(rel: string, text: string) {
      const p = path.join(dir, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
      return p;
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

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

/** Run the `rlhf` command line in this process with `cwd` as its working folder, capturing what it prints. */
export async function rlhf(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await cliMain(args, { stdout, stderr, cwd });
  return { code, out: stdout.text, err: stderr.text };
}
