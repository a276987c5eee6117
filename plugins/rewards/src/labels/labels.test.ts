import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError } from '@rlhfjs/core';
import { loadPointwiseLabels } from '../learned/data';
import { ReplayLabeller } from '../human/replay';
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
  const warnings: string[] = [];
  const { labels, problems, torn } = readLabels(file, { warn: (w) => warnings.push(w) });
  expect(labels).toHaveLength(1);
  expect(problems.map((p) => p.line)).toEqual([2, 4, 5]);
  expect(problems[0].message).toMatch(/not valid JSON/);
  expect(problems[1].message).toMatch(/"label" must be 0 or 1/);
  expect(problems[2].message).toMatch(/"labeller" must be an object/);
  // the torn final line is not a problem: it is ignored with a warning
  expect(torn).toMatchObject({ file, line: 6 });
  expect(warnings).toEqual([expect.stringContaining(`${file}:6: the last line is cut short`)]);
  let err: unknown;
  try {
    readLabels(file, { strict: true, warn: () => undefined });
  } catch (e) {
    err = e;
  }
  expect(DiagnosticError.is(err)).toBe(true);
  const d = (err as DiagnosticError).diagnostics;
  expect(d.map((x) => `${x.file}:${x.line}`)).toEqual([2, 4, 5].map((n) => `${file}:${n}`));
});

test('a labels file whose last line is cut short is read (strict, as the training jobs and replay do) with a warning, the torn record ignored', () => {
  const file = path.join(dir, 'cut.jsonl');
  const r1 = JSON.stringify(makeRecord(pointwiseItem('p', 'c1'), { kind: 'label', label: 1 }, human));
  const r2 = JSON.stringify(makeRecord(pointwiseItem('p', 'c2'), { kind: 'label', label: 0 }, human));
  fs.writeFileSync(file, `${r1}\n${r2.slice(0, 40)}`);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const { labels, torn } = readLabels(file, { strict: true, mustExist: true });
    expect(labels.map((l) => l.id)).toEqual([JSON.parse(r1).id]);
    expect(torn?.line).toBe(2);
    const written = stderr.mock.calls.map((c) => String(c[0]));
    expect(written).toHaveLength(1);
    expect(written[0]).toContain(`warning: ${file}:2: the last line is cut short`);
    expect(written[0]).toContain(JSON.stringify(r2.slice(0, 40)));
  } finally {
    stderr.mockRestore();
  }
  // a complete last record without its newline is kept, silently
  fs.writeFileSync(file, `${r1}\n${r2}`);
  const warnings: string[] = [];
  expect(readLabels(file, { strict: true, warn: (w) => warnings.push(w) }).labels).toHaveLength(2);
  expect(warnings).toEqual([]);
});

test("the train-classifier job's label loader and the replay labeller accept a file whose last line is cut short, with a warning", async () => {
  const file = path.join(dir, 'cut-jobs.jsonl');
  const i1 = pointwiseItem('p', 'c1');
  const r1 = JSON.stringify(makeRecord(i1, { kind: 'label', label: 1 }, human));
  const r2 = JSON.stringify(makeRecord(pointwiseItem('p', 'c2'), { kind: 'label', label: 0 }, human));
  fs.writeFileSync(file, `${r1}\n${r2.slice(0, 50)}`);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(loadPointwiseLabels(file)).toEqual([{ text: 'c1', label: 1 }]);
    const replay = new ReplayLabeller(file);
    expect(replay.size).toBe(1);
    expect((await replay.label([i1]))[0]).toMatchObject({ label: 1 });
    expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringContaining(`warning: ${file}:2: the last line is cut short`), expect.stringContaining(`warning: ${file}:2: the last line is cut short`)]);
  } finally {
    stderr.mockRestore();
  }
  // the same fragment in the middle of the file is still refused, naming its line
  fs.writeFileSync(file, `${r2.slice(0, 50)}\n${r1}\n`);
  expect(() => loadPointwiseLabels(file)).toThrow(/not valid JSON/);
  expect(() => new ReplayLabeller(file)).toThrow(/not valid JSON/);
});

test('a torn line in the middle stays an error naming its line', () => {
  const file = path.join(dir, 'mid.jsonl');
  const r1 = JSON.stringify(makeRecord(pointwiseItem('p', 'c1'), { kind: 'label', label: 1 }, human));
  fs.writeFileSync(file, `${r1}\n${r1.slice(0, 30)}\n${r1}\n`);
  expect(() => readLabels(file, { strict: true })).toThrow(/not valid JSON/);
  try {
    readLabels(file, { strict: true });
  } catch (e) {
    expect((e as DiagnosticError).diagnostics.map((x) => `${x.file}:${x.line}`)).toEqual([`${file}:2`]);
  }
  // also when the torn line is followed only by a final, complete line without a newline
  fs.writeFileSync(file, `${r1.slice(0, 30)}\n${r1}`);
  expect(readLabels(file).problems.map((p) => p.line)).toEqual([1]);
});

test('an appender opened on a file with a torn last line cuts it off and says so', () => {
  const file = path.join(dir, 'torn.jsonl');
  const r1 = JSON.stringify(makeRecord(pointwiseItem('p', 'c0'), { kind: 'label', label: 1 }, human));
  fs.writeFileSync(file, `${r1}\n{"type":"pointwise"`);
  const warnings: string[] = [];
  const a = new LabelAppender(file, (w) => warnings.push(w));
  expect(warnings).toEqual([`warning: ${file}:2: dropped the last line, cut short (no newline, not valid JSON; 19 bytes): "{\\"type\\":\\"pointwise\\""`]);
  expect(a.labels).toHaveLength(1);
  a.append(makeRecord(pointwiseItem('p', 'c'), { kind: 'label', label: 0 }, human));
  a.close();
  expect(fs.readFileSync(file, 'utf8').split('\n')[1]).not.toContain('{"type":"pointwise"}{');
  const { labels, problems, torn } = readLabels(file, { strict: true });
  expect(labels).toHaveLength(2);
  expect(problems).toEqual([]);
  expect(torn).toBeUndefined();
});

test('an appender adds the missing newline after a complete last record, keeps it and says so; the default warning goes to stderr', () => {
  const file = path.join(dir, 'nonl.jsonl');
  const r1 = JSON.stringify(makeRecord(pointwiseItem('p', 'c0'), { kind: 'label', label: 1 }, human));
  fs.writeFileSync(file, r1);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  let a: LabelAppender;
  try {
    a = new LabelAppender(file);
    expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual([`warning: ${file}:1: the last line had no newline at its end; added one (the record is kept)\n`]);
  } finally {
    stderr.mockRestore();
  }
  a.append(makeRecord(pointwiseItem('p', 'c'), { kind: 'label', label: 0 }, human));
  a.close();
  expect(readLabels(file, { strict: true }).labels).toHaveLength(2);
  // a clean file opens without a word
  const warnings: string[] = [];
  new LabelAppender(file, (w) => warnings.push(w)).close();
  expect(warnings).toEqual([]);
});

test('a missing file reads empty, or is a clear error when it must exist', () => {
  expect(readLabels(path.join(dir, 'none.jsonl')).labels).toEqual([]);
  expect(() => readLabels(path.join(dir, 'none.jsonl'), { mustExist: true })).toThrow(/does not exist/);
});
