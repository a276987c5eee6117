import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { spawn } from 'node:child_process';
import { LabelAppender, pairItem, pointwiseItem, readLabels } from '../labels';
import { TerminalLabeller } from './terminal';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'term-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function drive(file: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (c) => (shown += c.toString()));
  const appender = new LabelAppender(file);
  const labeller = new TerminalLabeller(appender, { input, output, labellerId: 'tester' });
  return { input, labeller, appender, shown: () => shown };
}

test('keys from stdin label, skip, undo and quit; every answer lands in the file', async () => {
  const file = path.join(dir, 'labels.jsonl');
  const { input, labeller, appender, shown } = drive(file);
  const items = [pointwiseItem('p1', 'first'), pointwiseItem('p2', 'second'), pointwiseItem('p3', 'third'), pointwiseItem('p4', 'fourth')];
  // 1 → item1=1; x unknown; 0 → item2=0; u → undo item2; 1 → item2=1; s → skip item3; q → quit before item4
  input.write('1\nx\n0\nu\n1\ns\nq\n');
  const out = await labeller.label(items, { source: { model: 'ckpt/a', step: 7 } });
  expect(out.map((r) => (r?.type === 'pointwise' ? r.label : r))).toEqual([1, 1, null, undefined]);
  expect(out[2]).toMatchObject({ skipped: true });
  expect(labeller.stopped).toBe(true);
  expect(shown()).toContain('Completion: first');
  expect(shown()).toContain('unknown key "x"');
  expect(shown()).toContain('undone.');
  labeller.close();
  appender.close();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.type + ':' + (l.label ?? ''))).toEqual(['pointwise:1', 'pointwise:0', 'undo:', 'pointwise:1', 'pointwise:']);
  expect(lines[0]).toMatchObject({ labeller: { kind: 'human', id: 'tester', simulated: false }, source: { model: 'ckpt/a', step: 7 }, prompt: 'p1', completion: 'first' });

  // a resumed session asks only the item that has no answer yet
  const again = drive(file);
  again.input.write('0\n');
  const out2 = await again.labeller.label(items);
  expect(out2.map((r) => (r?.type === 'pointwise' ? r.label : r))).toEqual([1, 1, null, 0]);
  expect(again.shown()).toContain('3 of 4 items already labelled');
  expect(again.shown()).not.toContain('Completion: first');
  again.labeller.close();
  again.appender.close();
  expect(readLabels(file).labels).toHaveLength(4);
});

test('pairs take a/b and become chosen/rejected; the end of input stops labelling', async () => {
  const file = path.join(dir, 'pairs.jsonl');
  const { input, labeller, appender, shown } = drive(file);
  const items = [pairItem('Greet', 'hello friend', 'go away'), pairItem('Thank', 'thanks a lot', 'whatever'), pairItem('Bye', 'see you', 'later')];
  input.end('1\nb\na\n');
  const out = await labeller.label(items);
  expect(shown()).toContain('unknown key "1"');
  expect(out[0]).toMatchObject({ chosen: 'go away', rejected: 'hello friend' });
  expect(out[1]).toMatchObject({ chosen: 'thanks a lot', rejected: 'whatever' });
  expect(out[2]).toBeUndefined();
  expect(shown()).toContain('input ended');
  labeller.close();
  appender.close();
});

const DIST = path.resolve(__dirname, '../../dist/human/terminal.js');
// Runs against the compiled package (`npm run build` first); skipped with a note when it is not built.
(fs.existsSync(DIST) ? test : test.skip)('the compiled labeller is driven through a child process stdin (build first: npm run build)', async () => {
  const file = path.join(dir, 'child.jsonl');
  const child = spawn(process.execPath, ['-e', CHILD, file], { stdio: ['pipe', 'pipe', 'pipe'], cwd: path.resolve(__dirname, '../..') });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  child.stdin.end('0\n1\n');
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('Completion: nice');
  expect(readLabels(file).labels.map((l) => (l.type === 'pointwise' ? l.label : null))).toEqual([0, 1]);
});

const CHILD = `
const fs = require('fs');
const mod = require('./dist/human/index.js');
const { LabelAppender, pointwiseItem } = require('./dist/labels/index.js');
const file = process.argv[1];
const app = new LabelAppender(file);
const l = new mod.TerminalLabeller(app, { input: process.stdin, output: process.stdout, labellerId: 'child' });
l.label([pointwiseItem('p', 'nice'), pointwiseItem('p', 'rude')]).then(() => { l.close(); app.close(); });
`;
