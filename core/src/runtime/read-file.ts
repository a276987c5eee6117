import * as fs from 'node:fs';
import { DiagnosticError } from '../diagnostics';

/** Read a file, or raise a diagnostic that names it and says why it could not be read. */
export function readFileChecked(file: string, opts: { code: string; fix: string }): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DiagnosticError({
      code: opts.code,
      message: code === 'ENOENT' ? `${file} does not exist` : `${file} cannot be read (${code ?? (e as Error).message})`,
      file,
      fix: opts.fix,
    });
  }
}
