import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError, type Diagnostic } from '../diagnostics';
import { RecipeSource } from '../recipe/source';
import { readFileChecked } from './read-file';

function diagnosticOf(fn: () => unknown): Diagnostic {
  try {
    fn();
  } catch (e) {
    if (DiagnosticError.is(e)) return e.diagnostics[0];
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

describe('readFileChecked', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-file-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a file', () => {
    fs.writeFileSync(path.join(dir, 'a.txt'), 'héllo');
    expect(readFileChecked(path.join(dir, 'a.txt'), { code: 'x/y', fix: 'f' }).toString('utf8')).toBe('héllo');
  });

  it('names a missing file as shown, with the fix for its reason, and where it comes from', () => {
    const d = diagnosticOf(() =>
      readFileChecked(path.join(dir, 'nope.txt'), { code: 'data/missing-file', fix: (errno) => `fix for ${errno}`, shown: 'nope.txt', plugin: 'environment/prompts', pointer: '/environment/options/file' }),
    );
    expect(d).toEqual({ code: 'data/missing-file', message: 'nope.txt does not exist', file: 'nope.txt', fix: 'fix for ENOENT', plugin: 'environment/prompts', pointer: '/environment/options/file' });
  });

  it('says that a folder is not a file', () => {
    const d = diagnosticOf(() => readFileChecked(dir, { code: 'x/y', fix: (errno) => `fix for ${errno}` }));
    expect(d.message).toBe(`${dir} is a directory, not a file`);
    expect(d.fix).toBe('fix for EISDIR');
    expect(d.file).toBe(dir);
  });

  it('is what a recipe file that is not there raises', () => {
    const d = diagnosticOf(() => RecipeSource.load(path.join(dir, 'missing.yaml')));
    expect(d.code).toBe('recipe/unreadable');
    expect(d.message).toBe(`${path.join(dir, 'missing.yaml')} does not exist`);
  });
});
