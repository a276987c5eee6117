import { DiagnosticError, formatDiagnostics } from '../diagnostics';

/** Print an error the way a user needs it: diagnostics without a stack, the stack only with --verbose. */
export function reportError(err: unknown, verbose: boolean, stream: NodeJS.WritableStream = process.stderr): number {
  if (DiagnosticError.is(err)) {
    stream.write(`error: ${formatDiagnostics(err.diagnostics)}\n`);
    if (verbose && err.cause) stream.write(`\ncaused by: ${(err.cause as Error).stack ?? String(err.cause)}\n`);
    else if (err.cause && err.exitCode === 1) stream.write('(run with --verbose for the stack trace)\n');
    return err.exitCode;
  }
  const e = err as Error;
  stream.write(`error: ${e?.message ?? String(err)}\n`);
  if (verbose) stream.write(`${e?.stack ?? ''}\n`);
  else stream.write('(run with --verbose for the stack trace)\n');
  return 1;
}
