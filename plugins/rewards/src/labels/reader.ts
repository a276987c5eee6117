import * as fs from 'node:fs';
import { DiagnosticError, type Diagnostic } from '@rlhfjs/core';
import { preview } from './preview';
import { checkLine, type LabelLine, type LabelRecord, type UndoRecord } from './format';

export interface LabelProblem {
  file: string;
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface ReadLabelsResult {
  /**
   * The labels in force, in the order they were first given: a later record for the same item id
   * replaces the earlier one, and an undo removes it. Skips are included (`skipped: true`).
   */
  labels: LabelRecord[];
  /** Broken lines, each with its file:line; every other line is kept. */
  problems: LabelProblem[];
  /** Every valid line as written, undo records included. */
  lines: LabelLine[];
  /**
   * A final line cut short (no newline after it and not valid JSON: a writer stopped mid-line, a
   * copy cut short). It is ignored with a warning, never an error; a bad line anywhere else is a
   * problem.
   */
  torn?: LabelProblem;
}

export interface ReadLabelsOptions {
  /** Throw a DiagnosticError listing every broken line instead of returning them. */
  strict?: boolean;
  /** A file that does not exist reads as empty (default) or is an error. */
  mustExist?: boolean;
  /** Where the one-line warning about a torn final line goes (default: stderr). */
  warn?: (line: string) => void;
}

const stderrWarn = (line: string): void => {
  process.stderr.write(line + '\n');
};

/** Read a labels JSONL file. */
export function readLabels(file: string, options: ReadLabelsOptions = {}): ReadLabelsResult {
  if (!fs.existsSync(file)) {
    if (options.mustExist) {
      throw new DiagnosticError({
        code: 'labels/missing-file',
        message: `labels file ${file} does not exist`,
        fix: 'check the path (it is relative to the recipe), or collect labels first with the `label` job',
        file,
      });
    }
    return { labels: [], problems: [], lines: [] };
  }
  return parseLabels(fs.readFileSync(file, 'utf8'), file, options);
}

export function parseLabels(text: string, file: string, options: ReadLabelsOptions = {}): ReadLabelsResult {
  const problems: LabelProblem[] = [];
  const lines: LabelLine[] = [];
  let torn: LabelProblem | undefined;
  const rows = text.split('\n');
  rows.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      if (i === rows.length - 1 && !text.endsWith('\n')) {
        // only the final line can be cut short by a writer that stopped mid-line
        torn = { file, line: i + 1, message: `the last line is cut short (no newline at its end, not valid JSON: ${(err as Error).message}); ignored: ${preview(line)}` };
        return;
      }
      problems.push({ file, line: i + 1, message: `not valid JSON: ${(err as Error).message}` });
      return;
    }
    const errs = checkLine(value);
    if (errs.length) {
      problems.push({ file, line: i + 1, message: errs.join('; ') });
      return;
    }
    lines.push(value as LabelLine);
  });
  if (options.strict && problems.length) {
    const diags: Diagnostic[] = problems.map((p) => ({
      code: 'labels/bad-line',
      message: p.message,
      file: p.file,
      line: p.line,
      fix: 'correct or delete the line; see docs/human-feedback.md for the label format',
    }));
    throw new DiagnosticError(diags);
  }
  if (torn) (options.warn ?? stderrWarn)(`warning: ${file}:${torn.line}: ${torn.message}`);
  return { labels: resolveLabels(lines), problems, lines, ...(torn ? { torn } : {}) };
}

/** Apply replacements and undos in file order. */
export function resolveLabels(lines: readonly LabelLine[]): LabelRecord[] {
  const current = new Map<string, LabelRecord>();
  const order: string[] = [];
  const seen = new Set<string>();
  for (const l of lines) {
    if (l.type === 'undo') {
      current.delete((l as UndoRecord).id);
      continue;
    }
    if (!seen.has(l.id)) {
      seen.add(l.id);
      order.push(l.id);
    }
    current.set(l.id, l);
  }
  return order.filter((id) => current.has(id)).map((id) => current.get(id)!);
}
