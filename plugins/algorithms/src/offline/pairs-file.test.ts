import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError } from '@rlhfjs/core';
import { parsePairs, readPairs } from './pairs-file';

const pair = (o: Record<string, unknown>) => JSON.stringify(o);

describe('preference pairs file', () => {
  it('reads bare pairs and label-format records', () => {
    const lines = [
      pair({ prompt: 'p1', chosen: 'kind words', rejected: 'rude words' }),
      '',
      pair({ type: 'pair', id: 'x1', prompt: 'p2', chosen: 'first choice', rejected: 'other', labeller: { kind: 'human', id: 'ann', simulated: false } }),
      pair({ type: 'pair', id: 'x2', prompt: 'p3', chosen: null, rejected: null, a: 'u', b: 'v', skipped: true }),
      pair({ type: 'pair', id: 'x3', prompt: 'p4', chosen: 'withdrawn', rejected: 'soon' }),
      pair({ type: 'undo', id: 'x3' }),
      pair({ type: 'pair', id: 'x1', prompt: 'p2', chosen: 'other', rejected: 'first choice' }), // relabelled: replaces line 3
    ].join('\n');
    const pairs = parsePairs(lines, 'prefs.jsonl');
    expect(pairs.map((p) => [p.prompt, p.chosen, p.rejected, p.where])).toEqual([
      ['p1', 'kind words', 'rude words', 'prefs.jsonl:1'],
      ['p2', 'other', 'first choice', 'prefs.jsonl:7'],
    ]);
  });

  it('reports every broken line with file:line and a fix', () => {
    const text = [
      pair({ prompt: 'ok', chosen: 'a', rejected: 'b' }),
      '{"prompt": "broken"',
      pair({ prompt: 'p', chosen: 3, rejected: 'b' }),
      pair({ type: 'pointwise', prompt: 'p', completion: 'c', label: 1 }),
      pair({ prompt: 'p', chosen: 'same', rejected: 'same' }),
    ].join('\n');
    let err: unknown;
    try {
      parsePairs(text, 'data/prefs.jsonl');
    } catch (e) {
      err = e;
    }
    expect(DiagnosticError.is(err)).toBe(true);
    const d = (err as DiagnosticError).diagnostics;
    expect(d.map((x) => x.line)).toEqual([2, 3, 4, 5]);
    expect(d[0].message).toMatch(/^data\/prefs.jsonl:2: not valid JSON/);
    expect(d[1].message).toMatch(/"chosen" must be a string, got 3/);
    expect(d[2].message).toMatch(/DPO trains on preference pairs/);
    expect(d[3].message).toMatch(/same text/);
    expect(d.every((x) => x.file === 'data/prefs.jsonl' && x.code === 'data/bad-pair' && x.fix)).toBe(true);
  });

  it('names a missing file and an empty one', () => {
    expect(() => readPairs(path.join(os.tmpdir(), 'does-not-exist.jsonl'), 'prefs.jsonl')).toThrow(/prefs.jsonl does not exist/);
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pairs-')), 'empty.jsonl');
    fs.writeFileSync(f, '\n');
    expect(() => readPairs(f, 'empty.jsonl')).toThrow(/holds no preference pairs/);
  });
});
