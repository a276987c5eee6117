import * as fs from 'node:fs';
import { DiagnosticError, type Diagnostic } from '@rlhfjs/core';

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  /** `file:line` the pair came from. */
  where: string;
}

const MAX_LISTED = 20;

/**
 * Read preference pairs from JSONL. Each line is either a bare `{prompt, chosen, rejected}` or a
 * record of the label format of `@rlhfjs/plugin-rewards` (`type: "pair"` with provenance): a
 * later record with the same `id` replaces an earlier one, `type: "undo"` withdraws it, and
 * skipped pairs (`skipped: true`) are left out. Every broken line is reported with file:line.
 */
export function readPairs(file: string, shownAs: string = file, plugin = 'algorithm/dpo', pointer = '/algorithm/options/pairsFile'): PreferencePair[] {
  if (!fs.existsSync(file)) {
    throw new DiagnosticError({
      code: 'data/missing-file',
      message: `preference pairs file ${shownAs} does not exist`,
      fix: 'check pairsFile (it is relative to the recipe file), or collect pairs first with a labelling job',
      file: shownAs,
      plugin,
      pointer,
    });
  }
  return parsePairs(fs.readFileSync(file, 'utf8'), shownAs, plugin);
}

export function parsePairs(text: string, file: string, plugin = 'algorithm/dpo'): PreferencePair[] {
  const problems: Diagnostic[] = [];
  const byId = new Map<string, PreferencePair>();
  const ordered: Array<PreferencePair | string> = [];
  const lines = text.split('\n');
  const bad = (line: number, message: string) =>
    problems.push({
      code: 'data/bad-pair',
      message: `${file}:${line}: ${message}`,
      file,
      line,
      plugin,
      fix: 'write each line as {"prompt": "...", "chosen": "...", "rejected": "..."} (or a "pair" record of the label format), or delete the line',
    });
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      bad(line, `not valid JSON (${(err as Error).message})`);
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      bad(line, 'a line must be a JSON object');
      return;
    }
    const o = v as Record<string, unknown>;
    const id = typeof o.id === 'string' ? o.id : undefined;
    if (o.type === 'undo') {
      if (!id) bad(line, 'an "undo" record needs the "id" of the label it withdraws');
      else byId.delete(id);
      return;
    }
    if (o.type !== undefined && o.type !== 'pair') {
      bad(line, `"type" is ${JSON.stringify(o.type)}; DPO trains on preference pairs ("type": "pair")`);
      return;
    }
    if (o.skipped === true) {
      if (id) byId.delete(id);
      return;
    }
    const errs: string[] = [];
    for (const k of ['prompt', 'chosen', 'rejected'] as const) {
      if (typeof o[k] !== 'string') errs.push(`"${k}" must be a string, got ${o[k] === undefined ? 'nothing' : JSON.stringify(o[k])}`);
    }
    if (!errs.length && o.chosen === o.rejected) errs.push('"chosen" and "rejected" are the same text, which teaches nothing');
    if (errs.length) {
      bad(line, errs.join('; '));
      return;
    }
    const pair: PreferencePair = { prompt: o.prompt as string, chosen: o.chosen as string, rejected: o.rejected as string, where: `${file}:${line}` };
    if (id) {
      if (!byId.has(id)) ordered.push(id);
      byId.set(id, pair);
    } else ordered.push(pair);
  });
  if (problems.length) {
    const listed = problems.slice(0, MAX_LISTED);
    if (problems.length > MAX_LISTED) {
      listed.push({ code: 'data/bad-pair', message: `… and ${problems.length - MAX_LISTED} more broken lines in ${file}`, file, plugin });
    }
    throw new DiagnosticError(listed);
  }
  const pairs: PreferencePair[] = [];
  for (const p of ordered) {
    if (typeof p !== 'string') pairs.push(p);
    else {
      const got = byId.get(p);
      if (got) pairs.push(got);
    }
  }
  if (pairs.length === 0) {
    throw new DiagnosticError({ code: 'data/no-pairs', message: `${file} holds no preference pairs`, fix: 'add lines of the form {"prompt", "chosen", "rejected"}', file, plugin });
  }
  return pairs;
}
