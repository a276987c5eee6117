import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { LabelAppender, pairItem, pointwiseItem, readLabels } from '../../labels';
import { WebLabeller } from './server';

let dir: string;
let appender: LabelAppender;
let web: WebLabeller;
let base: string;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-'));
  appender = new LabelAppender(path.join(dir, 'labels.jsonl'));
  web = new WebLabeller(appender, { labellerId: 'tester' });
  const url = await web.start();
  base = url.slice(0, url.indexOf('/?'));
});
afterEach(async () => {
  await web.close();
  appender.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function request(method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + p, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the URL binds 127.0.0.1 with a long random token that every request needs', async () => {
  expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  expect(new WebLabeller(appender, { labellerId: 'x' }).token).not.toBe(web.token);
  expect((await request('GET', '/')).status).toBe(403);
  expect((await request('GET', '/?token=wrong')).status).toBe(403);
  expect((await request('GET', `/?token=${web.token}x`)).status).toBe(403);
  const bad = await request('POST', '/api/label?token=nope', '{}');
  expect(bad.status).toBe(403);
  expect(bad.json.error).toMatch(/token/);
  const page = await request('GET', `/?token=${web.token}`);
  expect(page.status).toBe(200);
  expect(page.text).toContain('<title>rlhfjs labelling</title>');
  const viaHeader = await request('GET', '/api/state', undefined, { 'x-label-token': web.token });
  expect(viaHeader.status).toBe(200);
  expect(viaHeader.json).toMatchObject({ total: 0, done: 0, waiting: false });
  expect((await request('GET', `/api/state?token=${web.token}`, undefined, { host: 'evil.example:80' })).status).toBe(403);
});

test('submissions are validated: malformed JSON, unknown id, bad label, wrong answer kind → 400 with a message', async () => {
  const items = [pointwiseItem('p', 'one'), pairItem('q', 'left', 'right')];
  const pending = web.label(items, { source: { model: 'm', step: 2 } });
  await new Promise((r) => setImmediate(r));
  const t = `?token=${web.token}`;
  const cases: Array<[string, RegExp]> = [
    ['{"id": ', /malformed JSON/],
    ['', /body is empty/],
    ['[1]', /JSON object/],
    [JSON.stringify({ id: 'nope', label: 1 }), /unknown item id "nope"/],
    [JSON.stringify({ id: items[0].id, label: 2 }), /"label" must be 0 or 1, got 2/],
    [JSON.stringify({ id: items[0].id, label: '1' }), /"label" must be 0 or 1/],
    [JSON.stringify({ id: items[0].id, choice: 'a' }), /single completion/],
    [JSON.stringify({ id: items[1].id, label: 1 }), /is a pair/],
    [JSON.stringify({ id: items[1].id, choice: 'c' }), /"choice" must be "a" or "b"/],
    [JSON.stringify({ id: items[0].id, label: 1, skip: true }), /exactly one/],
    [JSON.stringify({ id: items[0].id, label: 1, note: 'x' }), /unknown field\(s\) "note"/],
    [JSON.stringify({ label: 1 }), /"id" must be/],
  ];
  for (const [body, msg] of cases) {
    const r = await request('POST', `/api/label${t}`, body);
    expect([body, r.status]).toEqual([body, 400]);
    expect(r.json.error).toMatch(msg);
  }
  expect((await request('POST', `/api/undo${t}`, '{}')).json.error).toMatch(/nothing to undo/);
  expect((await request('GET', `/api/label${t}`)).status).toBe(405);
  expect((await request('GET', `/nothing${t}`)).status).toBe(404);
  expect(readLabels(appender.file).lines).toHaveLength(0); // nothing invalid was written

  let r = await request('POST', `/api/label${t}`, JSON.stringify({ id: items[0].id, label: 1 }));
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ done: 1, total: 2 });
  r = await request('POST', `/api/undo${t}`, '');
  expect(r.json).toMatchObject({ done: 0 });
  r = await request('POST', `/api/label${t}`, JSON.stringify({ id: items[0].id, label: 0 }));
  r = await request('POST', `/api/label${t}`, JSON.stringify({ id: items[1].id, choice: 'b' }));
  expect(r.json).toMatchObject({ done: 2, total: 2 });
  const records = await pending;
  expect(records[0]).toMatchObject({ type: 'pointwise', label: 0, labeller: { kind: 'human', id: 'tester', simulated: false }, source: { model: 'm', step: 2 } });
  expect(records[1]).toMatchObject({ type: 'pair', chosen: 'right', rejected: 'left' });
  expect(readLabels(appender.file).lines.map((l) => l.type)).toEqual(['pointwise', 'undo', 'pointwise', 'pair']);
});

test('items already labelled are not asked again, and finish ends a waiting batch', async () => {
  const a = pointwiseItem('p', 'one');
  const b = pointwiseItem('p', 'two');
  const first = web.label([a]);
  await new Promise((r) => setImmediate(r));
  await request('POST', `/api/label?token=${web.token}`, JSON.stringify({ id: a.id, skip: true }));
  expect((await first)[0]).toMatchObject({ skipped: true, label: null });
  const second = web.label([a, b]);
  await new Promise((r) => setImmediate(r));
  const s = await request('GET', `/api/state?token=${web.token}`);
  expect(s.json.items.map((i: { answer: unknown }) => i.answer)).toEqual(['skip', null]);
  await request('POST', `/api/finish?token=${web.token}`, '');
  const out = await second;
  expect(out[1]).toBeUndefined();
  expect(web.stopped).toBe(true);
});

test('once a batch has resolved, relabel and undo of its items are refused with 409 and the file stays as training read it', async () => {
  const a = pointwiseItem('p', 'one');
  const b = pointwiseItem('p', 'two');
  const t = `?token=${web.token}`;
  const pending = web.label([a, b]);
  await new Promise((r) => setImmediate(r));
  expect((await request('POST', `/api/label${t}`, JSON.stringify({ id: a.id, label: 1 }))).status).toBe(200);
  expect((await request('POST', `/api/label${t}`, JSON.stringify({ id: b.id, label: 0 }))).status).toBe(200);
  const used = await pending;
  expect(used.map((r) => (r?.type === 'pointwise' ? r.label : null))).toEqual([1, 0]);
  const before = fs.readFileSync(appender.file, 'utf8');

  const undo = await request('POST', `/api/undo${t}`, '{}');
  expect(undo.status).toBe(409);
  expect(undo.json.error).toMatch(new RegExp(`item "${b.id}" belongs to a batch that has already been handed to training`));
  const relabel = await request('POST', `/api/label${t}`, JSON.stringify({ id: a.id, label: 0 }));
  expect(relabel.status).toBe(409);
  expect(relabel.json.error).toMatch(/can no longer be changed or undone/);
  expect(fs.readFileSync(appender.file, 'utf8')).toBe(before);
  expect(readLabels(appender.file).labels.map((l) => (l.type === 'pointwise' ? l.label : null))).toEqual([1, 0]);

  // a batch ended by finish is resolved too
  const c = pointwiseItem('p', 'three');
  const next = web.label([c]);
  await new Promise((r) => setImmediate(r));
  await request('POST', `/api/finish${t}`, '');
  await next;
  expect((await request('POST', `/api/label${t}`, JSON.stringify({ id: c.id, label: 1 }))).status).toBe(409);
  expect(fs.readFileSync(appender.file, 'utf8')).toBe(before);
});

test('every POST must be JSON (415) from the page itself (403 for another Origin or a cross-site fetch); a request with neither header, as from curl with the token, is allowed', async () => {
  const a = pointwiseItem('p', 'one');
  const b = pointwiseItem('p', 'two');
  const t = `?token=${web.token}`;
  const pending = web.label([a, b]);
  await new Promise((r) => setImmediate(r));
  const body = JSON.stringify({ id: a.id, label: 1 });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const r = await request('POST', `/api/label${t}`, body, { 'content-type': type });
    expect([type, r.status]).toEqual([type, 415]);
    expect(r.json.error).toMatch(/Content-Type: application\/json/);
  }
  const none = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${base}/api/finish${t}`, { method: 'POST' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  expect(none).toBe(415);
  for (const origin of ['http://evil.example', 'null', `${base}0`, base.replace('127.0.0.1', 'localhost'), base.replace('http:', 'https:')]) {
    const r = await request('POST', `/api/label${t}`, body, { origin });
    expect([origin, r.status]).toEqual([origin, 403]);
    expect(r.json.error).toMatch(/cross-origin request refused: Origin/);
  }
  for (const site of ['cross-site', 'same-site']) {
    const r = await request('POST', `/api/label${t}`, body, { 'sec-fetch-site': site });
    expect([site, r.status]).toEqual([site, 403]);
    expect(r.json.error).toMatch(/Sec-Fetch-Site/);
  }
  expect(readLabels(appender.file).lines).toHaveLength(0); // nothing refused was written
  const own = await request('POST', `/api/label${t}`, body, { origin: base, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json; charset=utf-8' });
  expect(own.status).toBe(200);
  const bare = await request('POST', `/api/label${t}`, JSON.stringify({ id: b.id, label: 0 }));
  expect(bare.status).toBe(200);
  expect((await pending).map((r) => (r?.type === 'pointwise' ? r.label : null))).toEqual([1, 0]);
});
