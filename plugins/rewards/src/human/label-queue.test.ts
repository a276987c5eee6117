import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LabelAppender, makeRecord, pointwiseItem, readLabels, type LabellerInfo } from '../labels/index';
import { appendCollected, labelJobId, labelQueueName, type CollectedLabel } from './label-queue';

const labellerA: LabellerInfo = { kind: 'human', id: 'labeller-a', simulated: false };
const labellerB: LabellerInfo = { kind: 'human', id: 'labeller-b', simulated: false };
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'label-queue-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const items = ['one', 'two', 'three', 'four'].map((c) => pointwiseItem('p', c));
const answer = (index: number, label: 0 | 1, who = labellerA): CollectedLabel => ({ index, itemId: items[index].id, record: makeRecord(items[index], { kind: 'label', label }, who) });

test('answers are appended in item order, whatever order they were read in', () => {
  const file = path.join(dir, 'labels.jsonl');
  const a = new LabelAppender(file);
  const r = appendCollected(a, [answer(3, 1), answer(0, 0), answer(2, 1)]);
  a.close();
  expect(r).toEqual({ appended: [items[0].id, items[2].id, items[3].id], duplicates: [] });
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; label: number });
  expect(lines.map((l) => [l.id, l.label])).toEqual([
    [items[0].id, 0],
    [items[2].id, 1],
    [items[3].id, 1],
  ]);
});

test('an item already labelled in the file, or answered twice in one pass, is appended once', () => {
  const file = path.join(dir, 'labels.jsonl');
  const first = new LabelAppender(file);
  appendCollected(first, [answer(1, 1)]);
  first.close();
  // reopened, as a resumed label job does: the label read from the file counts
  const a = new LabelAppender(file);
  const r = appendCollected(a, [answer(1, 0, labellerB), answer(2, 0), answer(2, 1, labellerB)]);
  a.close();
  expect(r.appended).toEqual([items[2].id]);
  expect(r.duplicates).toEqual([items[1].id, items[2].id]);
  const { lines } = readLabels(file);
  expect(lines).toHaveLength(2);
  expect(lines.filter((l) => l.id === items[1].id)).toHaveLength(1);
  // the first answer read for item 2 (labeller-a's 0) is the one kept, and item 1 keeps its first label
  expect(lines.map((l) => (l.type === 'pointwise' ? [l.labeller.id, l.label] : null))).toEqual([
    ['labeller-a', 1],
    ['labeller-a', 0],
  ]);
});

test('an undone label is asked again: a new answer is appended after the tombstone', () => {
  const file = path.join(dir, 'labels.jsonl');
  const a = new LabelAppender(file);
  appendCollected(a, [answer(0, 1)]);
  a.undo(items[0].id, labellerA);
  expect(appendCollected(a, [answer(0, 0, labellerB)]).appended).toEqual([items[0].id]);
  a.close();
  expect(readLabels(file).lines.map((l) => l.type)).toEqual(['pointwise', 'undo', 'pointwise']);
});

test('an answer that is not a label of its item is refused and nothing is appended', () => {
  const file = path.join(dir, 'labels.jsonl');
  const a = new LabelAppender(file);
  const wrong = { ...answer(0, 1), itemId: items[1].id };
  expect(() => appendCollected(a, [wrong])).toThrow(/not a label: .*not the item's/);
  expect(() => appendCollected(a, [{ index: 0, itemId: items[0].id, record: { id: items[0].id } as never }])).toThrow(/label\/bad-answer|not a label/);
  a.close();
  expect(fs.readFileSync(file, 'utf8')).toBe('');
});

test('job ids and queue names: the same run and item give the same id; names are safe for BullMQ', () => {
  expect(labelJobId('run-a', items[0].id)).toBe(labelJobId('run-a', items[0].id));
  expect(labelJobId('run-a', items[0].id)).not.toBe(labelJobId('run-b', items[0].id));
  expect(labelJobId('run-a', items[0].id)).not.toMatch(/:/);
  expect(labelQueueName('detox label', {})).toBe('rlhf-label-detox_label');
  expect(labelQueueName('x', { name: 'mine' })).toBe('mine');
});
