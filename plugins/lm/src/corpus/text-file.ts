/**
 * Reading user text files line by line (plain text, one item per line, or JSONL), with errors that
 * name the file and the line and say how to fix it.
 */
import { DiagnosticError, readFileChecked } from '@rlhfjs/core';

export type TextFileFormat = 'auto' | 'lines' | 'jsonl';

export interface TextRecord {
  /** 1-based line number in the file. */
  line: number;
  text: string;
}

export interface ReadTextOptions {
  /** `auto`: JSONL when the name ends in `.jsonl` or `.ndjson`, otherwise one item per line. */
  format?: TextFileFormat;
  /** The JSONL field that holds the text. */
  field?: string;
  /** The path as the user wrote it, for messages (defaults to the resolved path). */
  shownPath?: string;
  /** The plugin the file belongs to, for messages. */
  plugin?: string;
  /** The recipe field that named the file, for messages. */
  pointer?: string;
  /** What the items are called in messages ("prompt", "sentence"). */
  noun?: string;
}

export function resolveFormat(file: string, format: TextFileFormat = 'auto'): 'lines' | 'jsonl' {
  if (format !== 'auto') return format;
  return /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'lines';
}

/**
 * Every non-blank line of `file` as text. Blank lines are skipped in both formats. Throws a
 * DiagnosticError for a missing or empty file, a JSONL line that is not JSON or not an object, and a
 * record whose field is missing or not a non-empty string.
 */
export function readTextRecords(file: string, opts: ReadTextOptions = {}): TextRecord[] {
  const shown = opts.shownPath ?? file;
  const noun = opts.noun ?? 'text';
  const field = opts.field ?? 'text';
  const where = { file: shown, plugin: opts.plugin, pointer: opts.pointer };
  const content = readFileChecked(file, {
    code: 'data/missing-file',
    fix: (errno) => (errno === 'ENOENT' ? 'Check the path; relative paths are resolved against the recipe file.' : `Point at a ${noun} file.`),
    shown,
    plugin: opts.plugin,
    pointer: opts.pointer,
  }).toString('utf8');
  const format = resolveFormat(file, opts.format);
  const lines = content.split(/\r?\n/);
  const out: TextRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim().length === 0) continue;
    const line = i + 1;
    if (format === 'lines') {
      out.push({ line, text: raw.replace(/^\uFEFF/, '') });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw.replace(/^\uFEFF/, ''));
    } catch (e) {
      throw new DiagnosticError({
        code: 'data/bad-jsonl',
        message: `${shown}:${line}: the line is not valid JSON (${(e as Error).message})`,
        line,
        fix: `Write one JSON object per line, e.g. {"${field}": "Once upon a time"}; for plain text (one ${noun} per line) use a .txt file or set format to "lines".`,
        ...where,
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DiagnosticError({
        code: 'data/bad-jsonl',
        message: `${shown}:${line}: expected a JSON object with a "${field}" field, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
        line,
        fix: `Write each line as {"${field}": "..."}.`,
        ...where,
      });
    }
    const v = (value as Record<string, unknown>)[field];
    if (typeof v !== 'string' || v.length === 0) {
      const keys = Object.keys(value as object);
      throw new DiagnosticError({
        code: 'data/missing-field',
        message: `${shown}:${line}: ${v === undefined ? `no "${field}" field` : `"${field}" is ${JSON.stringify(v)}, not a non-empty string`} (the line has ${keys.length > 0 ? keys.map((k) => `"${k}"`).join(', ') : 'no fields'})`,
        line,
        fix: keys.length > 0 && v === undefined ? `Set the field option to the key that holds the ${noun} (one of ${keys.map((k) => `"${k}"`).join(', ')}), or add "${field}" to every line.` : `Give every line a non-empty string "${field}".`,
        ...where,
      });
    }
    out.push({ line, text: v });
  }
  if (out.length === 0) {
    throw new DiagnosticError({
      code: 'data/empty-file',
      message: `${shown} holds no ${noun}s (${content.length === 0 ? 'the file is empty' : 'only blank lines'})`,
      fix: format === 'jsonl' ? `Add lines such as {"${field}": "..."}.` : `Add one ${noun} per line.`,
      ...where,
    });
  }
  return out;
}
