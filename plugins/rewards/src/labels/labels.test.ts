import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError } from '@rlhfjs/core';
import { LabelAppender, makeRecord, pairItem, pointwiseItem, readLabels, itemId, recordKey, type LabellerInfo } from './index';

const human: LabellerInfo = { kind: 'human', id: 'tester', simulated: false };
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labels-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('item ids are content hashes; a pair id ignores the order shown', () => {
  expect(pointwiseItem('p', 'c').id).toBe(pointwiseItem('p', 'c').id);
  expect(pointwiseItem('p', 'c').id).not.toBe(pointwiseItem('p', 'c2').id);
  expect(pairItem('p', 'x', 'y').id).toBe(pairItem('p', 'y', 'x').id);
  expect(itemId({ type: 'pointwise', prompt: 'ab', completion: 'c' })).not.toBe(itemId({ type: 'pointwise', prompt: 'a', completion: 'bc' }));
});

test('a pair choice becomes chosen/rejected and its key matches the item', () => {
  const item = pairItem('Say hi', 'hello there', 'go away');
  const r = makeRecord(item, { kind: 'choice', choice: 'b' }, human, { model: 'ckpt', step: 3 });
  expect(r).toMatchObject({ type: 'pair', prompt: 'Say hi', chosen: 'go away', rejected: 'hello there', source: { model: 'ckpt', step: 3 } });
  expect(recordKey(r)).toBe(item.id);
  const skip = makeRecord(item, { kind: 'skip' }, human);
  expect(skip).toMatchObject({ chosen: null, rejected: null, skipped: true, a: 'hello there', b: 'go away' });
  expect(recordKey(skip)).toBe(item.id);
  expect(() => makeRecord(item, { kind: 'label', label: 1 }, human)).toThrow(/pair/);
});

test('appender writes each label at once, undo appends a tombstone, reader resolves them', () => {
  const file = path.join(dir, 'sub', 'labels.jsonl');
  const a = new LabelAppender(file);
  const i1 = pointwiseItem('p1', 'nice words');
  const i2 = pointwiseItem('p2', 'rude words');
  const i3 = pointwiseItem('p3', 'unsure');
  a.append(makeRecord(i1, { kind: 'label', label: 0 }, human));
  // visible on disk before close: a crash would keep it
  expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  a.append(makeRecord(i2, { kind: 'label', label: 0 }, human));
  expect(a.undo(i2.id, human)).toBe(true);
  expect(a.undo(i2.id, human)).toBe(false);
  a.append(makeRecord(i2, { kind: 'label', label: 1 }, human));
  a.append(makeRecord(i3, { kind: 'skip' }, human));
  a.close();
  const raw = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(raw.map((l) => l.type)).toEqual(['pointwise', 'pointwise', 'undo', 'pointwise', 'pointwise']);
  const { labels, problems } = readLabels(file);
  expect(problems).toEqual([]);
  expect(labels.map((l) => [l.id, l.type === 'pointwise' ? l.label : 'x'])).toEqual([
    [i1.id, 0],
    [i2.id, 1],
    [i3.id, null],
  ]);
  expect(labels[2]).toMatchObject({ skipped: true });
  // reopening sees what is in force
  const b = new LabelAppender(file);
  expect(b.current(i2.id)).toMatchObject({ label: 1 });
  expect(b.labels).toHaveLength(3);
  b.close();
});

test('broken lines are reported with file:line and the rest is kept; strict mode throws listing them', () => {
  const file = path.join(dir, 'l.jsonl');
  const good = JSON.stringify(makeRecord(pointwiseItem('p', 'c'), { kind: 'label', label: 1 }, human));
  const badLabel = JSON.stringify({ ...JSON.parse(good), id: 'x2', label: 2 });
  const noLabeller = JSON.stringify({ ...JSON.parse(good), id: 'x3', labeller: undefined });
  fs.writeFileSync(file, [good, '{not json', '', badLabel, noLabeller, '{"type":"pointwise","id":"torn"'].join('\n'));
  const { labels, problems } = readLabels(file);
  expect(labels).toHaveLength(1);
  expect(problems.map((p) => p.line)).toEqual([2, 4, 5, 6]);
  expect(problems[0].message).toMatch(/not valid JSON/);
  expect(problems[1].message).toMatch(/"label" must be 0 or 1/);
  expect(problems[2].message).toMatch(/"labeller" must be an object/);
  expect(problems[3].message).toMatch(/last line is incomplete/);
  let err: unknown;
  try {
    readLabels(file, { strict: true });
  } catch (e) {
    err = e;
  }
  expect(DiagnosticError.is(err)).toBe(true);
  const d = (err as DiagnosticError).diagnostics;
  expect(d.map((x) => `${x.file}:${x.line}`)).toEqual([2, 4, 5, 6].map((n) => `${file}:${n}`));
});

test('an appender opened on a torn file starts a new line', () => {
  const file = path.join(dir, 'torn.jsonl');
  fs.writeFileSync(file, '{"type":"pointwise"');
  const a = new LabelAppender(file);
  a.append(makeRecord(pointwiseItem('p', 'c'), { kind: 'label', label: 0 }, human));
  a.close();
  const { labels, problems } = readLabels(file);
  expect(labels).toHaveLength(1);
  expect(problems).toHaveLength(1);
  expect(problems[0].line).toBe(1);
});

test('a missing file reads empty, or is a clear error when it must exist', () => {
  expect(readLabels(path.join(dir, 'none.jsonl')).labels).toEqual([]);
  expect(() => readLabels(path.join(dir, 'none.jsonl'), { mustExist: true })).toThrow(/does not exist/);
});
