import * as fs from 'node:fs';
import { DiagnosticError } from '../diagnostics';

export interface ReadFileCheck {
  /** The diagnostic's code, e.g. `checkpoint/missing-file`. */
  code: string;
  /** How to fix it; a function gets the reason's errno code (ENOENT: not there, EISDIR: a folder). */
  fix: string | ((errno: string | undefined) => string);
  /** The path as the messages show it (default: the path read), e.g. as the recipe wrote it. */
  shown?: string;
  /** Where else the path comes from, for the diagnostic. */
  plugin?: string;
  pointer?: string;
}

/** Read a file, or raise a diagnostic that names it and says why it could not be read. */
export function readFileChecked(file: string, opts: ReadFileCheck): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const shown = opts.shown ?? file;
    throw new DiagnosticError({
      code: opts.code,
      message: code === 'ENOENT' ? `${shown} does not exist` : code === 'EISDIR' ? `${shown} is a directory, not a file` : `${shown} cannot be read (${code ?? (e as Error).message})`,
      file: shown,
      fix: typeof opts.fix === 'string' ? opts.fix : opts.fix(code),
      ...(opts.plugin === undefined ? {} : { plugin: opts.plugin }),
      ...(opts.pointer === undefined ? {} : { pointer: opts.pointer }),
    });
  }
}
