import type { Diagnostic } from './diagnostic';

/** `file:line:column` or the parts of it that are known. */
export function formatLocation(d: Diagnostic): string {
  if (!d.file) return '';
  let s = d.file;
  if (d.line !== undefined) s += `:${d.line}`;
  if (d.line !== undefined && d.column !== undefined) s += `:${d.column}`;
  return s;
}

/**
 * Human-readable, one block per diagnostic:
 *
 *   recipes/detox.yaml:12:5  /algorithm/options/learningRate  [algorithm/ppo]
 *     must be number, got string "fast"
 *     fix: ...
 */
export function formatDiagnostic(d: Diagnostic): string {
  const head = [formatLocation(d), d.pointer !== undefined ? (d.pointer === '' ? '(root)' : d.pointer) : '', d.plugin ? `[${d.plugin}]` : '']
    .filter(Boolean)
    .join('  ');
  const lines = [head ? `${head}\n  ${d.message}` : d.message];
  if (d.fix) lines.push(`  fix: ${d.fix}`);
  return lines.join('\n');
}

export function formatDiagnostics(list: readonly Diagnostic[]): string {
  const n = list.length;
  const header = n === 1 ? '1 problem' : `${n} problems`;
  return `${header}:\n\n${list.map(formatDiagnostic).join('\n\n')}`;
}
