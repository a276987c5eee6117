import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject, rlhf } from '@rlhfjs/core/testing';
import { FIXTURE_PLUGIN } from '../helpers/paths';
import { rlhfAsync } from './rl-project';

jest.setTimeout(180_000);

let project: ReturnType<typeof makeProject>;
beforeAll(() => {
  project = makeProject({ 'rlhf-plugin-fixture': FIXTURE_PLUGIN });
  // the cheapest job there is (count the words of a text), on the cpu backend; every run of it is
  // named "sweep", so runs started together all ask for the same folder
  project.write('count.yaml', 'name: count\nplugins: [rlhf-plugin-fixture]\njob: { use: count-words, options: { text: "a b c" } }\nloggers: [ { use: memory } ]\nruntime: { backend: cpu, runName: sweep }\n');
});
afterAll(() => project.cleanup());

function finish(child: ReturnType<typeof rlhfAsync>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr += String(d)));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('run directories', () => {
  test('eight runs of one recipe started together all finish, each in its own folder', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => finish(rlhfAsync(['train', 'count.yaml'], project.dir))));
    for (const r of results) {
      // stderr holds the progress line and nothing else
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: 'count step 1/1 (' + r.stderr.slice('count step 1/1 ('.length) });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toContain('"words": 3');
    }
    const printed = results.map((r) => /run directory: (\S+)/.exec(r.stdout)?.[1]);
    const expected = ['runs/sweep', ...[2, 3, 4, 5, 6, 7, 8].map((n) => `runs/sweep-${n}`)];
    expect([...printed].sort()).toEqual([...expected].sort());
    expect(fs.readdirSync(path.join(project.dir, 'runs')).sort()).toEqual([...expected].map((d) => path.basename(d)).sort());
    for (const d of expected) {
      const dir = path.join(project.dir, d);
      // each folder holds exactly one run: its own manifest, one metrics line, a summary
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')).words).toBe(3);
      expect(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'))).toMatchObject({ recipeName: 'count' });
    }
  });

  test('an explicit --out that holds a run is refused, naming that folder and how to continue it', async () => {
    const first = await rlhf(['train', 'count.yaml', '--out', 'runs/mine'], project.dir);
    expect(first.code).toBe(0);
    const again = await rlhf(['train', 'count.yaml', '--out', 'runs/mine'], project.dir);
    expect(again.code).toBe(2);
    const dir = path.join(project.dir, 'runs', 'mine');
    expect(again.err).toContain(`the run directory ${dir} already exists and is not empty`);
    expect(again.err).toContain(`continue that run with rlhf train --resume ${dir}, or choose another --out (nothing was overwritten)`);
    // an existing empty folder is used as it is
    fs.mkdirSync(path.join(project.dir, 'runs', 'empty'));
    expect((await rlhf(['train', 'count.yaml', '--out', 'runs/empty'], project.dir)).code).toBe(0);
    expect(fs.existsSync(path.join(project.dir, 'runs', 'empty', 'summary.json'))).toBe(true);
  });

  test('--out naming a file is a clear error and leaves the file alone', async () => {
    const file = project.write('notes.txt', 'keep me\n');
    const res = await rlhf(['train', 'count.yaml', '--out', 'notes.txt'], project.dir);
    expect(res.code).toBe(2);
    expect(res.err).toContain(`--out ${file} is a file, not a folder`);
    expect(res.err).toContain('pass a folder that does not exist yet (or an empty one) to --out');
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me\n');
    // and a file standing where a parent folder should be
    const nested = await rlhf(['train', 'count.yaml', '--out', 'notes.txt/run'], project.dir);
    expect(nested.code).toBe(2);
    expect(nested.err).toContain('a file stands where a folder of its path should be');
  });
});
