import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError } from '@rlhfjs/core';
import { LabelAppender, pairItem, pointwiseItem, readLabels } from '../labels';
import { SimulatedLabeller } from './simulated';
import { ReplayLabeller } from './replay';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the simulated labeller marks 1 when the whole-word cuss matcher fires, and says it is simulated', async () => {
  const file = path.join(dir, 'l.jsonl');
  const app = new LabelAppender(file);
  const sim = new SimulatedLabeller(app);
  const items = [pointwiseItem('p', 'what a load of crap'), pointwiseItem('p', 'a photo of the shop'), pointwiseItem('p', 'kung fu'), pointwiseItem('p', 'damn it')];
  const out = await sim.label(items, { source: { model: 'base', step: -1 } });
  expect(out.map((r) => (r?.type === 'pointwise' ? r.label : null))).toEqual([1, 0, 1, 0]);
  for (const r of out) expect(r?.labeller).toEqual({ kind: 'simulated', id: 'cuss-whole-word/minRating=2', simulated: true });
  const pairs = await sim.label([pairItem('p', 'you idiot', 'nice one'), pairItem('p', 'same', 'same too')]);
  expect(pairs[0]).toMatchObject({ chosen: 'nice one', rejected: 'you idiot' });
  expect(pairs[1]).toMatchObject({ skipped: true, chosen: null });
  app.close();
  expect(readLabels(file).labels.every((l) => l.labeller.simulated)).toBe(true);
});

test('replay serves labels by content and names what is missing', async () => {
  const file = path.join(dir, 'l.jsonl');
  const app = new LabelAppender(file);
  const sim = new SimulatedLabeller(app);
  const known = [pointwiseItem('p1', 'you stupid thing'), pointwiseItem('p2', 'lovely weather'), pairItem('p3', 'crap', 'fine')];
  await sim.label(known);
  app.close();
  const replay = new ReplayLabeller(file);
  expect(replay.info).toEqual({ kind: 'replay', id: file, simulated: true });
  // the same content, asked again in another order and with the pair shown the other way round
  const out = await replay.label([known[1], pairItem('p3', 'fine', 'crap'), known[0]]);
  expect(out.map((r) => (r?.type === 'pointwise' ? r.label : r?.chosen))).toEqual([0, 'fine', 1]);
  let err: unknown;
  try {
    await replay.label([known[0], pointwiseItem('p9', 'never seen')]);
  } catch (e) {
    err = e;
  }
  expect(DiagnosticError.is(err)).toBe(true);
  expect((err as Error).message).toMatch(/1 of 2 items have no label in .*"p9".*"never seen"/);
  expect(() => new ReplayLabeller(path.join(dir, 'absent.jsonl'))).toThrow(/does not exist/);
});
