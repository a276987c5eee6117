import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { REPO } from '../helpers/paths';

export { REPO };

export { rlhf } from '@rlhfjs/core/testing';

/** Run a command, failing the test with its output when it exits non-zero (unless `allowFail`). */
export function sh(cmd: string, args: string[], cwd: string, opts: { allowFail?: boolean; timeout?: number } = {}): SpawnSyncReturns<string> {
  const res = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: opts.timeout ?? 120_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', npm_config_update_notifier: 'false' } });
  if (!opts.allowFail && res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${res.status}${res.error ? ` (${res.error.message})` : ''}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`);
  }
  return res;
}

/**
 * Give a scaffolded package the dev dependencies its package.json names, offline: symlinks to this
 * repository's copies (core from the workspace, typescript/jest/ts-jest/@types from the root), plus
 * the .bin entries `npm test` uses.
 */
export function linkDevDependencies(pkgDir: string): void {
  const nm = path.join(pkgDir, 'node_modules');
  const links: Record<string, string> = {
    '@rlhfjs/core': path.join(REPO, 'core'),
    typescript: path.join(REPO, 'node_modules', 'typescript'),
    jest: path.join(REPO, 'node_modules', 'jest'),
    'ts-jest': path.join(REPO, 'node_modules', 'ts-jest'),
    '@types/jest': path.join(REPO, 'node_modules', '@types', 'jest'),
    '@types/node': path.join(REPO, 'node_modules', '@types', 'node'),
  };
  for (const [name, target] of Object.entries(links)) {
    const link = path.join(nm, name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(target, link, 'dir');
  }
  fs.mkdirSync(path.join(nm, '.bin'), { recursive: true });
  fs.symlinkSync('../typescript/bin/tsc', path.join(nm, '.bin', 'tsc'));
  fs.symlinkSync('../jest/bin/jest.js', path.join(nm, '.bin', 'jest'));
}

/** Build the dist folders an installed package runs (core, and the given workspaces), incrementally. */
export function buildPackages(projects: string[] = ['core']): void {
  sh(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', ...projects], REPO, { timeout: 180_000 });
}
