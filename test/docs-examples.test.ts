/**
 * The plugin guide's TypeScript examples compile against the built packages, as a plugin author
 * would compile them. Every ```ts block of docs/plugins.md that starts with an import (after an
 * optional `// src/<file>.ts` line naming its file) is a complete module; the other blocks are
 * excerpts of interfaces and are not compiled. The modules go into one throwaway package whose
 * node_modules/@rlhfjs/core is this repository's core (its dist and types), and `tsc --noEmit`
 * checks them with a scaffolded plugin's compiler options.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO } from './helpers/paths';

const GUIDE = path.join(REPO, 'docs', 'plugins.md');
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

interface Block {
  line: number;
  file: string;
  code: string;
}

/** The complete modules among a markdown file's ```ts blocks, each with the line it starts on. */
export function moduleBlocks(markdown: string): { modules: Block[]; excerpts: number } {
  const lines = markdown.split('\n');
  const modules: Block[] = [];
  let excerpts = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    const named = /^\/\/ (src\/[\w./-]+\.ts)\s*$/.exec(body[0] ?? '');
    const first = body.find((l, k) => !(k === 0 && named) && l.trim() !== '') ?? '';
    if (!first.startsWith('import ')) {
      excerpts++;
      continue;
    }
    modules.push({ line: start + 1, file: named ? named[1] : `src/guide-line-${start + 1}.ts`, code: body.join('\n') + '\n' });
  }
  return { modules, excerpts };
}

let dir: string;
beforeAll(() => {
  const build = spawnSync(process.execPath, [TSC, '-b', 'core'], { cwd: REPO, encoding: 'utf8', timeout: 180_000 });
  if (build.status !== 0) throw new Error(`building core failed:\n${build.stdout}${build.stderr}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-guide-'));
}, 200_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the block finder keeps modules and names their files', () => {
  const md = ['text', '```ts', '// src/index.ts', "import { a } from 'b';", 'a();', '```', '```ts', 'interface X { y: number }', '```', '```ts', '', "import * as p from 'node:path';", '```'].join('\n');
  const { modules, excerpts } = moduleBlocks(md);
  expect(excerpts).toBe(1);
  expect(modules.map((m) => [m.line, m.file])).toEqual([
    [3, 'src/index.ts'],
    [11, 'src/guide-line-11.ts'],
  ]);
});

test("docs/plugins.md: every complete example type-checks against core's published types", () => {
  const { modules } = moduleBlocks(fs.readFileSync(GUIDE, 'utf8'));
  // the contract example, the conformance kit (plain and with services), buildPlugin, makeProject
  expect(modules.length).toBeGreaterThanOrEqual(5);
  expect(modules.map((m) => m.file)).toContain('src/index.ts');
  for (const m of modules) {
    fs.mkdirSync(path.dirname(path.join(dir, m.file)), { recursive: true });
    fs.writeFileSync(path.join(dir, m.file), m.code);
  }
  fs.mkdirSync(path.join(dir, 'node_modules', '@rlhfjs'), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'core'), path.join(dir, 'node_modules', '@rlhfjs', 'core'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'rlhf-plugin-guide', version: '0.0.0', private: true }));
  const scaffold = JSON.parse(fs.readFileSync(path.join(REPO, 'core', 'templates', 'plugin', 'common', 'tsconfig.json'), 'utf8'));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { ...scaffold.compilerOptions, noEmit: true, typeRoots: [path.join(REPO, 'node_modules', '@types')], types: ['node', 'jest'] },
      include: ['src/**/*.ts'],
    }),
  );
  const res = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  // name each error by the guide's line: src/guide-line-N.ts(L,C) is line N + L of docs/plugins.md
  const byFile = new Map(modules.map((m) => [m.file, m.line]));
  const errors = (res.stdout + res.stderr).replace(/^(src\/[\w./-]+\.ts)\((\d+),(\d+)\)/gm, (all, file: string, l: string, c: string) => {
    const at = byFile.get(file);
    return at === undefined ? all : `docs/plugins.md:${at + Number(l) - 1}:${c}`;
  });
  expect(errors).toBe('');
  expect(res.status).toBe(0);
}, 200_000);
