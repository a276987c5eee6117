import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;
function tmpName(target: string): string {
  counter += 1;
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${counter}`);
}

/** Write a file so that readers see the old or the new content, never half of it. */
export function atomicWriteFileSync(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tmpName(target);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
}

/**
 * Build a directory under a temporary name, then rename it into place. If `target` exists it is
 * replaced only after the new one is complete. A crash leaves either the old directory or the
 * new one, plus at most a `.tmp-*` folder that later writes ignore.
 */
export async function atomicWriteDir(target: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = tmpName(target);
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
    fsyncDir(tmp);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  if (fs.existsSync(target)) {
    const old = tmpName(target) + '-old';
    fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, target);
  }
  fsyncDir(parent);
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // some filesystems do not allow fsync on directories; the rename is still atomic
  }
}

/** JSON with a trailing newline, written atomically. */
export function writeJsonAtomic(target: string, value: unknown): void {
  atomicWriteFileSync(target, JSON.stringify(value, null, 2) + '\n');
}
