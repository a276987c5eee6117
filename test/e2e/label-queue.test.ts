/**
 * Human labelling through a Redis queue: the label job (job.options.queue) puts its items on a
 * BullMQ queue, two `rlhf label-server` processes serve them on their own pages (answered here by
 * HTTP requests to the page's JSON endpoints, as a person's browser does), and the job alone
 * appends every answer, once, to the labels file. A server SIGKILLed while it holds an item has
 * that item handed to the other server (BullMQ's stalled-job recovery); a label job SIGKILLed and
 * resumed loses no answer and writes none twice.
 * Needs Debian's redis-server (CI installs it); skipped with a note when it is absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { connectRedis, loadBullMQ } from '@rlhfjs/core';
import { makeProject } from '@rlhfjs/core/testing';
import { REPO } from '../helpers/paths';
import { findRedisServer, startRedis } from '../helpers/redis';
import { rlhfAsync, rlhfSync } from './rl-project';

jest.setTimeout(300_000);

const REDIS = findRedisServer();
if (!REDIS) console.warn('skipping the label queue (rlhf label-server) tests: redis-server is not installed (apt-get install redis-server)');
const maybe = REDIS ? describe : describe.skip;

const TEXT = ['the cat sat on the mat and the dog ran to the park', 'a small bird sang a song in the tall green tree', 'we walked home slowly after the long day at work', 'she said that the weather would be nice tomorrow'];

interface Server {
  child: ChildProcess;
  url: URL;
  log: string[];
  /** The item ids this test answered through this server, in order. */
  answered: string[];
}

interface State {
  items: Array<{ id: string; answer: unknown }>;
}

/** The label this test gives an item: a function of its id only, so the file can be checked. */
const labelOf = (id: string): 0 | 1 => (parseInt(id.slice(0, 2), 16) % 2) as 0 | 1;

maybe('label job on a Redis queue, served by rlhf label-server', () => {
  let project: ReturnType<typeof makeProject>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis(REDIS!);
    project = makeProject({ '@rlhfjs/plugin-lm': path.join(REPO, 'plugins', 'lm'), '@rlhfjs/plugin-rewards': path.join(REPO, 'plugins', 'rewards') });
    const { ByteBPETokenizer } = require(path.join(REPO, 'plugins', 'lm', 'dist', 'index.js'));
    project.write('tokenizer.json', JSON.stringify(ByteBPETokenizer.train(TEXT, { vocabSize: 300 }).toJSON()));
    const prompts = ['the cat', 'a small bird', 'we walked', 'she said that', 'they played', 'the dog ran'];
    project.write('prompts.jsonl', prompts.map((t) => JSON.stringify({ prompt: t })).join('\n') + '\n');
    // short BullMQ locks, so that a killed server's item is found stalled within a second or two
    const recipe = (labels: string, queue: string) => `name: tiny-label-queue
plugins: ["@rlhfjs/plugin-lm", "@rlhfjs/plugin-rewards"]
job:
  use: label
  options: { labeller: web, labels: ${labels}, prompts: 6, samplesPerPrompt: 1, batchSize: 3${queue} }
agent:
  use: gpt
  options:
    init: { contextSize: 24, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tokenizer: { file: tokenizer.json } }
    sampling: { maxNewTokens: 6 }
environment: { use: prompts, options: { path: prompts.jsonl } }
runtime: { backend: wasm, nativeKernels: forbid, seed: 7, checkpointEvery: 1 }
`;
    project.write('queued.yaml', recipe('out/labels.jsonl', `, queue: { redis: "${redis.url}", lockDurationMs: 1500, stalledIntervalMs: 500, pollMs: 100 }`));
    project.write('plain.yaml', recipe('out/plain.jsonl', ''));
    project.write('classifier.yaml', 'name: tiny-classifier\nplugins: ["@rlhfjs/plugin-rewards"]\njob: { use: train-classifier, options: {} }\nruntime: { backend: wasm, seed: 7 }\n');
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await redis?.stop();
    project?.cleanup();
  });

  /** Start `rlhf label-server` and resolve with its page URL once it serves. */
  async function startServer(recipe: string, extra: string[] = []): Promise<Server> {
    const child = rlhfAsync(['label-server', recipe, ...extra], project.dir);
    children.push(child);
    const log: string[] = [];
    child.stderr!.on('data', (d) => log.push(...String(d).split('\n').filter(Boolean)));
    const url = await new Promise<URL>((resolve, reject) => {
      let out = '';
      let found: URL | undefined;
      child.stdout!.on('data', (d) => {
        out += String(d);
        const m = /Label in your browser: (\S+)/.exec(out);
        if (m) found = new URL(m[1]);
        if (found && out.includes('serving items of queue')) resolve(found);
      });
      child.on('exit', (code) => reject(new Error(`the label server exited (${code}) before it served: ${log.join('\n')}`)));
    });
    return { child, url, log, answered: [] };
  }

  async function state(s: Server): Promise<State> {
    const res = await fetch(new URL(`/api/state${s.url.search}`, s.url));
    expect(res.status).toBe(200);
    return (await res.json()) as State;
  }

  /** Answer the first open item on a server's page; returns its id, or undefined when none is open. */
  async function answerOne(s: Server): Promise<string | undefined> {
    const open = (await state(s)).items.find((i) => i.answer === null);
    if (!open) return undefined;
    const res = await fetch(new URL(`/api/label${s.url.search}`, s.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: open.id, label: labelOf(open.id) }) });
    expect(res.status).toBe(200);
    s.answered.push(open.id);
    return open.id;
  }

  /** The label job as a child process; `exited` resolves with its exit code and stderr. */
  function startJob(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; stderr: string }>; stderr: () => string } {
    const child = rlhfAsync(args, project.dir);
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
    return { child, exited, stderr: () => stderr };
  }

  /** Answer on the given servers until the job exits; fails the test if it exits with an error. */
  async function answerUntilDone(job: ReturnType<typeof startJob>, servers: Server[]): Promise<string> {
    let done = false;
    void job.exited.then(() => (done = true));
    while (!done) {
      for (const s of servers) await answerOne(s);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { code, stderr } = await job.exited;
    if (code !== 0) throw new Error(`the label job failed (${code}): ${stderr}`);
    return stderr;
  }

  const readFile = (file: string) =>
    fs
      .readFileSync(path.join(project.dir, file), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; label: number; type: string; labeller: { id: string } });

  /** Every item once, each with the label this test gave it. */
  function expectEachOnce(file: string, items: number): string[] {
    const lines = readFile(file);
    const ids = lines.map((l) => l.id);
    expect(lines.every((l) => l.type === 'pointwise')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(items);
    for (const l of lines) expect(l.label).toBe(labelOf(l.id));
    return ids;
  }

  const itemsOf = (run: string): number => (JSON.parse(fs.readFileSync(path.join(project.dir, run, 'summary.json'), 'utf8')) as { items: number }).items;

  test('two label servers: every item is labelled exactly once in the file, by one or the other', async () => {
    const a = await startServer('queued.yaml', ['--set', 'job.options.labellerId=labellerA']);
    const b = await startServer('queued.yaml', ['--set', 'job.options.labellerId=labellerB']);
    const job = startJob(['train', 'queued.yaml', '--out', 'runs/two']);
    const stderr = await answerUntilDone(job, [a, b]);
    expect(stderr).toMatch(/\d+ item\(s\) queued, 0 of \d+ already labelled/);
    expect(stderr).toContain('npx rlhf label-server');
    const items = itemsOf('runs/two');
    expect(items).toBeGreaterThan(2);
    const ids = expectEachOnce('out/labels.jsonl', items);
    // both people labelled, each label says who gave it, and no item was answered on both pages
    expect(a.answered.length).toBeGreaterThan(0);
    expect(b.answered.length).toBeGreaterThan(0);
    expect(new Set([...a.answered, ...b.answered]).size).toBe(a.answered.length + b.answered.length);
    const who = new Map(readFile('out/labels.jsonl').map((l) => [l.id, l.labeller.id]));
    for (const id of a.answered) expect(who.get(id)).toBe('labellerA');
    for (const id of b.answered) expect(who.get(id)).toBe('labellerB');
    expect(ids.sort()).toEqual([...a.answered, ...b.answered].sort());
    // "finish" on a page ends its server
    const finished = new Promise<number | null>((r) => a.child.once('exit', (c) => r(c)));
    const res = await fetch(new URL(`/api/finish${a.url.search}`, a.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    expect(await finished).toBe(0);
    b.child.kill('SIGTERM');
  });

  test('a label server SIGKILLed while it holds an item: the other server serves it, and the file has every item once', async () => {
    const labels = 'out/killed-server.jsonl';
    const a = await startServer('queued.yaml', ['--set', `job.options.labels=${labels}`]);
    const job = startJob(['train', 'queued.yaml', '--out', 'runs/killed-server', '--set', `job.options.labels=${labels}`]);
    // wait until server a holds an item, then kill it without a word
    let held: string | undefined;
    while (!held) {
      held = (await state(a)).items.find((i) => i.answer === null)?.id;
      if (!held) await new Promise((r) => setTimeout(r, 100));
    }
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    // the other one started as the job says: on the run folder (its recipe, overrides included)
    const command = `npx rlhf label-server ${path.join(fs.realpathSync(project.dir), 'runs', 'killed-server')}`;
    while (!job.stderr().includes('npx rlhf label-server') && job.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(job.stderr()).toContain(command);
    const b = await startServer('runs/killed-server');
    await answerUntilDone(job, [b]);
    const ids = expectEachOnce(labels, itemsOf('runs/killed-server'));
    expect(ids).toContain(held);
    expect(b.answered).toContain(held);
    expect(a.answered).toEqual([]);
    b.child.kill('SIGTERM');
  });

  test('a label server stopped with SIGTERM puts the item it holds back on the queue at once', async () => {
    const labels = 'out/stopped-server.jsonl';
    const set = ['--set', `job.options.labels=${labels}`];
    const a = await startServer('queued.yaml', set);
    const job = startJob(['train', 'queued.yaml', '--out', 'runs/stopped-server', ...set]);
    let held: string | undefined;
    while (!held) {
      held = (await state(a)).items.find((i) => i.answer === null)?.id;
      if (!held) await new Promise((r) => setTimeout(r, 100));
    }
    a.child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => a.child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    // no server runs now, so no stalled-job check: the item is waiting only because the server gave it back
    const client = await connectRedis(redis.url);
    const { Queue } = loadBullMQ();
    const queue = new Queue('rlhf-label-tiny-label-queue', { connection: client.connection as never });
    try {
      const jobs = await queue.getJobs(['wait', 'active', 'prioritized', 'delayed']);
      const mine = jobs.filter((j) => (j.data as { item: { id: string } }).item.id === held);
      expect(mine).toHaveLength(1);
      expect(await mine[0].getState()).toMatch(/^(waiting|prioritized)$/);
    } finally {
      await queue.close();
      await client.quit();
    }
    const b = await startServer('queued.yaml', set);
    await answerUntilDone(job, [b]);
    expect(expectEachOnce(labels, itemsOf('runs/stopped-server'))).toContain(held);
    expect(b.answered).toContain(held);
    b.child.kill('SIGTERM');
  });

  test('the label job SIGKILLed and resumed: an answer given while it was down is kept, and none is written twice', async () => {
    const labels = 'out/killed-job.jsonl';
    const set = ['--set', `job.options.labels=${labels}`];
    const a = await startServer('queued.yaml', set);
    const b = await startServer('queued.yaml', set);
    const job = startJob(['train', 'queued.yaml', '--out', 'runs/killed-job', ...set]);
    // two answers appended by the job, then the job is killed
    while (!fs.existsSync(path.join(project.dir, labels)) || readFile(labels).length < 2) {
      await answerOne(a);
      await new Promise((r) => setTimeout(r, 100));
    }
    job.child.kill('SIGKILL');
    await job.exited;
    const before = readFile(labels).map((l) => l.id);
    // an answer given while no job collects: it waits in the queue
    let whileDown: string | undefined;
    while (!whileDown) {
      whileDown = await answerOne(b);
      if (!whileDown) await new Promise((r) => setTimeout(r, 100));
    }
    expect(before).not.toContain(whileDown);
    const resumed = startJob(['train', '--resume', 'runs/killed-job']);
    const stderr = await answerUntilDone(resumed, [a, b]);
    expect(stderr).toMatch(new RegExp(`\\d+ item\\(s\\) queued, ${before.length} of \\d+ already labelled`));
    const ids = expectEachOnce(labels, itemsOf('runs/killed-job'));
    expect(ids.slice(0, before.length)).toEqual(before);
    expect(ids).toContain(whileDown);
    // kept from the queue, not asked again: no item was answered twice on the pages
    const all = [...a.answered, ...b.answered];
    expect(new Set(all).size).toBe(all.length);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
  });

  test('clear errors: a recipe without the queue option, a job with nothing to serve, labeller other than web, Redis unreachable', () => {
    const plain = rlhfSync(['label-server', 'plain.yaml'], project.dir);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('this label job has no "queue" option');
    expect(plain.stderr).toContain('add queue: { redis:');

    const other = rlhfSync(['label-server', 'classifier.yaml'], project.dir);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('this recipe\'s job is "train-classifier", which has nothing to serve');
    expect(other.stderr).toContain('job: { use: label, options: { labeller: web, queue:');

    const simulated = rlhfSync(['validate', 'queued.yaml', '--set', 'job.options.labeller=simulated'], project.dir);
    expect(simulated.code).not.toBe(0);
    expect(simulated.stdout + simulated.stderr).toContain('set labeller: web');

    const down = rlhfSync(['label-server', 'queued.yaml', '--redis', 'redis://127.0.0.1:1'], project.dir);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1 after 5 tries');
  });
});
