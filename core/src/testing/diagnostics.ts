import { DiagnosticError } from '../diagnostics';

/**
 * The DiagnosticError that `fn` throws, for asserting its pointer, message and fix. Another error
 * is rethrown as it is; no error at all fails with "expected a DiagnosticError".
 */
export function diagnosticThrownBy(fn: () => unknown): DiagnosticError {
  try {
    fn();
  } catch (e) {
    if (DiagnosticError.is(e)) return e;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}
