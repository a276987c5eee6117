import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');

/**
 * A throwaway project folder outside the workspace, with the given packages "installed" in its
 * node_modules (symlinks to their folders), the way a user's project would have them.
 */
export function makeProject(packages: Record<string, string> = {}): { dir: string; write(rel: string, text: string): string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-project-'));
  const all: Record<string, string> = { '@rlhfjs/core': path.join(REPO, 'core'), ...packages };
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

export const FIXTURE_PLUGIN = path.join(REPO, 'test', 'fixtures', 'external-plugin');
