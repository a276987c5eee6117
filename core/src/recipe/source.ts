import * as path from 'node:path';
import { Document, LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { DiagnosticError, type Diagnostic } from '../diagnostics';
import { readFileChecked } from '../runtime/read-file';

/**
 * A recipe file as text, parsed into a YAML document that remembers where every node sits,
 * so that any JSON pointer can be turned back into `file:line:column`. JSON is parsed by the
 * same parser (YAML 1.2 is a superset of JSON), so both formats get the same positions.
 */
export class RecipeSource {
  /** Pointers set from the command line, with the flag that set them. */
  readonly overridden = new Map<string, string>();

  private constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document | undefined,
    private readonly lines: LineCounter,
  ) {}

  get dir(): string {
    return path.dirname(path.resolve(this.file));
  }

  /** Read and parse a recipe file; syntax errors become diagnostics with positions. */
  static load(file: string): { source: RecipeSource; value: unknown } {
    const text = readFileChecked(file, {
      code: 'recipe/unreadable',
      fix: 'check the path; shipped recipes live in recipes/ (rlhf validate recipes/*.yaml lists them)',
    }).toString('utf8');
    return RecipeSource.parse(file, text);
  }

  static parse(file: string, text: string): { source: RecipeSource; value: unknown } {
    const lines = new LineCounter();
    if (!text.trim() || text.split('\n').every((l) => !l.trim() || l.trim().startsWith('#'))) {
      throw new DiagnosticError({
        code: 'recipe/empty',
        file,
        message: 'the recipe is empty',
        fix: 'a recipe is a map with at least `plugins:` and the slots of its job; start from a file in recipes/ or run `rlhf schema` for the full schema',
      });
    }
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const source = new RecipeSource(file, text, doc, lines);
    if (doc.errors.length > 0) {
      throw new DiagnosticError(
        doc.errors.map((e) => {
          const pos = lines.linePos(e.pos[0]);
          const isJson = /\.json$/i.test(file);
          return {
            code: 'recipe/syntax',
            file,
            line: pos.line,
            column: pos.col,
            message: `${isJson ? 'JSON' : 'YAML'} syntax error: ${firstLine(e.message)}`,
            fix: syntaxFix(e.code),
          } satisfies Diagnostic;
        }),
      );
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
      throw new DiagnosticError({
        code: 'recipe/not-a-map',
        file,
        line: 1,
        column: 1,
        pointer: '',
        message: `a recipe must be a map of slots (plugins, agent, environment, rewards, algorithm, ...), but this file holds ${kind}`,
        fix: Array.isArray(value) ? 'remove the leading "- " so the top level is a map, not a list item' : 'write the recipe as key: value pairs; see recipes/ for examples',
      });
    }
    return { source, value };
  }

  /** Line and column of the node at `pointer`, or of its closest existing ancestor. For keys, the key itself. */
  locate(pointer: string, opts: { key?: boolean } = {}): { line?: number; column?: number; viaOverride?: string } {
    const over = this.overrideFor(pointer);
    if (over) return { viaOverride: over };
    if (!this.doc) return {};
    let segs = pointerSegments(pointer);
    while (true) {
      const found = findNode(this.doc.contents as Node | null, segs, opts.key === true);
      if (found?.range) {
        const p = this.lines.linePos(found.range[0]);
        return { line: p.line, column: p.col };
      }
      if (segs.length === 0) return {};
      segs = segs.slice(0, -1);
      opts = {};
    }
  }

  private overrideFor(pointer: string): string | undefined {
    for (const [p, flag] of this.overridden) if (pointer === p || pointer.startsWith(p + '/')) return flag;
    return undefined;
  }
}

function findNode(node: Node | null, segs: string[], wantKey: boolean): Node | undefined {
  let cur: Node | null | undefined = node;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (!cur) return undefined;
    if (isMap(cur)) {
      const pair = cur.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === seg);
      if (!pair) return undefined;
      if (wantKey && i === segs.length - 1) return pair.key as Node;
      cur = pair.value as Node | null;
    } else if (isSeq(cur)) {
      const idx = Number(seg);
      cur = Number.isInteger(idx) ? (cur.items[idx] as Node | null) : undefined;
    } else {
      return undefined;
    }
  }
  return cur ?? undefined;
}

export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function toPointer(segs: readonly (string | number)[]): string {
  return segs.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function syntaxFix(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'remove or rename one of the two keys';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation: nested keys need more spaces than their parent, and tabs are not allowed';
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'a key seems to be missing its colon, or a value its quotes';
    default:
      return 'fix the syntax at this position (quote strings that contain ": " or start with special characters)';
  }
}
