/**
 * The one error type that every part of the framework raises for a user's mistake.
 * It imports nothing, so that recipe/, plugin/ and runtime/ can all use it without a cycle.
 */

/** Where a problem sits: any part may be unknown. */
export interface Location {
  /** Path of the recipe or data file, as the user named it. */
  file?: string;
  /** 1-based line, where the parser can tell. */
  line?: number;
  /** 1-based column, where the parser can tell. */
  column?: number;
  /** JSON pointer into the recipe or the options object, e.g. `/algorithm/options/learningRate`. */
  pointer?: string;
}

export interface Diagnostic extends Location {
  /** What is wrong, in one sentence. */
  message: string;
  /** How to fix it, in one sentence, where we can tell. */
  fix?: string;
  /** The plugin (`kind/name`) or package the problem belongs to. */
  plugin?: string;
  /** A stable machine-readable code, e.g. `recipe/unknown-plugin`. */
  code: string;
}

const BRAND = Symbol.for('rlhfjs.DiagnosticError');

/**
 * A user error: bad recipe, bad data file, bad plugin package, missing backend.
 * The CLI prints it without a stack trace and exits with {@link DiagnosticError.exitCode}.
 */
export class DiagnosticError extends Error {
  readonly diagnostics: Diagnostic[];
  /** 2 for invalid input or usage, 1 for a failure while running. */
  readonly exitCode: 1 | 2;
  readonly [BRAND] = true;

  constructor(diagnostics: Diagnostic | Diagnostic[], options: { exitCode?: 1 | 2; cause?: unknown } = {}) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => d.message).join('; '), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DiagnosticError';
    this.diagnostics = list;
    this.exitCode = options.exitCode ?? 2;
  }

  /** Works across duplicate copies of this module (a plugin may bundle its own). */
  static is(err: unknown): err is DiagnosticError {
    return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
  }
}
