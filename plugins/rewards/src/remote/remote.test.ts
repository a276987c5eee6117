import * as fs from 'node:fs';
import * as http from 'node:http';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DiagnosticError } from '@rlhfjs/core';
import { buildPlugin } from '@rlhfjs/core/testing';
import { functionReward } from './function-reward';
import { HttpReward, httpReward } from './http-reward';

const FIX = path.join(__dirname, '__fixtures__');
const samples = [
  { prompt: 'p0', completion: 'abc' },
  { prompt: 'p1', completion: 'hello world' },
  { prompt: 'p2', completion: 'x' },
];

async function catchErr(p: Promise<unknown>): Promise<DiagnosticError> {
  try {
    await p;
  } catch (e) {
    if (DiagnosticError.is(e)) return e;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

describe('function reward', () => {
  const build = (options: Record<string, unknown>) => buildPlugin(functionReward, options, { baseDir: FIX });

  test('calls the default export with (samples, ctx); named and async exports work', async () => {
    const b = await build({ module: 'length.cjs' });
    expect((await b.instance.score(samples, { step: 0 })).scores).toEqual([3, 11, 1]);
    expect((await b.instance.score(samples.slice(0, 1), { step: 99 })).scores).toEqual([1003]);
    b.dispose();
    const a = await build({ module: 'length.cjs', export: 'asyncHalf' });
    expect((await a.instance.score(samples, { step: 0 })).scores).toEqual([1.5, 5.5, 0.5]);
    a.dispose();
    const n = await build({ module: 'named.js', export: 'polite' });
    expect((await n.instance.score([{ prompt: '', completion: 'Thank you' }, { prompt: '', completion: 'no' }], { step: 0 })).scores).toEqual([1, 0]);
    n.dispose();
  });

  test('a function that throws is named with its module, export and the sample index', async () => {
    const b = await build({ module: 'length.cjs' });
    const err = await catchErr(b.instance.score([samples[0], samples[1], { prompt: 'p9', completion: 'a boom here' }], { step: 0 }));
    const d = err.diagnostics[0];
    expect(d.code).toBe('function/threw');
    expect(d.message).toContain(`export "default" of ${path.join(FIX, 'length.cjs')}`);
    expect(d.message).toContain('threw on sample 2 (prompt "p9", completion "a boom here"): cannot score an explosion');
    expect(d.plugin).toBe('reward/function');
    b.dispose();
    const batch = await build({ module: 'length.cjs', export: 'batchOnly' });
    expect((await catchErr(batch.instance.score(samples, { step: 0 }))).message).toMatch(/on a batch of 3 samples \(no single sample makes it throw alone\): too many at once/);
    batch.dispose();
  });

  test('a wrong return shape is a clear error', async () => {
    const cases: Array<[string, RegExp]> = [
      ['wrongShape', /returned an object with keys \["scores"\], expected an array of 3 numbers/],
      ['tooFew', /returned 2 scores for 3 samples/],
      ['notFinite', /returned NaN for sample 1 \(prompt "p1"\), expected a finite number/],
    ];
    for (const [exp, msg] of cases) {
      const b = await build({ module: 'length.cjs', export: exp });
      const err = await catchErr(b.instance.score(samples, { step: 0 }));
      expect(err.diagnostics[0].code).toBe('function/bad-return');
      expect(err.message).toMatch(msg);
      b.dispose();
    }
  });

  test('a missing module, export or loader is reported before training starts', async () => {
    await expect(build({ module: 'nope.js' })).rejects.toThrow(/does not exist/);
    const e = await catchErr(build({ module: 'length.cjs', export: 'lenght' }));
    expect(e.message).toMatch(/no exported function "lenght"; its functions: asyncHalf, wrongShape, tooFew, notFinite, batchOnly/);
    expect(e.diagnostics[0].pointer).toBe('/test/reward/options/export');
    await expect(build({ module: '../remote.test.ts' })).rejects.toThrow(/TypeScript|loader/);
  });
});

describe('http reward', () => {
  let server: http.Server;
  let url: string;
  let handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;
  let hits = 0;
  beforeEach(async () => {
    hits = 0;
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hits += 1;
        handler(req, body, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const settings = () => ({ url, timeoutMs: 300, retries: 2, backoffMs: 10, headers: { 'x-api-key': 'k' } });

  test('posts the samples and reads the scores', async () => {
    let seen: any;
    handler = (req, body, res) => {
      seen = { body: JSON.parse(body), key: req.headers['x-api-key'], type: req.headers['content-type'] };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ scores: seen.body.samples.map((s: { completion: string }) => s.completion.length) }));
    };
    const b = await buildPlugin(httpReward, { url, headers: { 'x-api-key': 'k' } });
    expect((await b.instance.score(samples, { step: 3, model: 'm' })).scores).toEqual([3, 11, 1]);
    expect(seen).toEqual({ body: { samples, context: { step: 3, model: 'm' } }, key: 'k', type: 'application/json' });
    b.dispose();
  });

  test('a service that does not answer in time times out, is retried with backoff, then fails clearly', async () => {
    // the service never answers; what ends each attempt is the client giving up: the server sees
    // the connection of every request closed with no response written
    let abandon: () => void = () => undefined;
    const allAbandoned = new Promise<void>((resolve) => {
      let n = 0;
      abandon = () => {
        if (++n === 3) resolve();
      };
    });
    handler = (_req, _body, res) => {
      res.on('close', () => {
        if (!res.writableFinished) abandon();
      });
    };
    const waits: number[] = [];
    const r = new HttpReward(settings(), '/rewards/1', async (ms) => void waits.push(ms));
    const err = await catchErr(r.score(samples, { step: 0 }));
    await allAbandoned; // (had an attempt ended otherwise, this would never resolve and the test would time out)
    expect(hits).toBe(3);
    expect(waits).toEqual([10, 20]);
    expect(err.diagnostics[0]).toMatchObject({ code: 'http/failed', plugin: 'reward/http', pointer: '/rewards/1/options/url' });
    // "(timeout)" is written only when the per-attempt timeout signal has fired
    expect(err.message).toContain(
      'failed 3 times: attempt 1: no answer within 300 ms (timeout); attempt 2: no answer within 300 ms (timeout); attempt 3: no answer within 300 ms (timeout)',
    );
  });

  test('5xx is retried and can recover; 4xx fails at once with a body excerpt', async () => {
    handler = (_req, body, res) => {
      if (hits < 3) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        return res.end('busy, try later');
      }
      res.end(JSON.stringify({ scores: JSON.parse(body).samples.map(() => 0.5) }));
    };
    const r = new HttpReward(settings(), '/rewards/0', async () => undefined);
    expect((await r.score(samples, { step: 0 })).scores).toEqual([0.5, 0.5, 0.5]);
    expect(hits).toBe(3);

    hits = 0;
    handler = (_req, _body, res) => {
      res.writeHead(401, 'Unauthorized');
      res.end('{"error":"bad api key"}');
    };
    const err = await catchErr(r.score(samples, { step: 0 }));
    expect(hits).toBe(1);
    expect(err.message).toMatch(/answered HTTP 401 Unauthorized: .*bad api key/);
  });

  test('bad JSON and a wrong shape are clear errors', async () => {
    const r = new HttpReward(settings(), '/rewards/0', async () => undefined);
    handler = (_req, _body, res) => res.end('<html>oops</html>');
    expect((await catchErr(r.score(samples, { step: 0 }))).message).toMatch(/not JSON: "<html>oops<\/html>"/);
    handler = (_req, _body, res) => res.end('{"score": [1,2,3]}');
    expect((await catchErr(r.score(samples, { step: 0 }))).message).toMatch(/has no "scores" array/);
    handler = (_req, _body, res) => res.end('{"scores": [1,2]}');
    expect((await catchErr(r.score(samples, { step: 0 }))).message).toMatch(/returned 2 scores for 3 samples/);
    handler = (_req, _body, res) => res.end('{"scores": [1,"2",3]}');
    expect((await catchErr(r.score(samples, { step: 0 }))).message).toMatch(/returned "2" as the score of sample 1/);
  });

  test('a score of 1e999 is reported as Infinity, not null', async () => {
    const r = new HttpReward(settings(), '/rewards/0', async () => undefined);
    handler = (_req, _body, res) => res.end('{"scores": [1, 1e999, 3]}');
    const err = await catchErr(r.score(samples, { step: 0 }));
    expect(err.diagnostics[0].code).toBe('http/bad-shape');
    expect(err.message).toContain('returned Infinity as the score of sample 1');
  });

  test('an answer larger than maxResponseBytes fails, naming the URL and the cap; Content-Length is checked first', async () => {
    // A generous timeout: a slow, busy machine must not turn this into a retried timeout.
    const r = new HttpReward({ ...settings(), timeoutMs: 30000, maxResponseBytes: 1000 }, '/rewards/0', async () => undefined);
    handler = (_req, _body, res) => {
      // chunked (no Content-Length): 200 bytes at a time until the client gives up
      let written = 0;
      res.writeHead(200, { 'content-type': 'application/json' });
      const push = () => {
        while (written < 1e6) {
          written += 200;
          if (!res.write('x'.repeat(200))) return void res.once('drain', push);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      push();
    };
    const err = await catchErr(r.score(samples, { step: 0 }));
    expect(err.diagnostics[0]).toMatchObject({ code: 'http/too-large', pointer: '/rewards/0/options/url' });
    expect(err.message).toBe(`reward service ${url} answered a body of more than 1000 bytes, more than maxResponseBytes (1000 bytes)`);
    expect(hits).toBe(1); // not retried

    hits = 0;
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-length': '5000' });
      res.write('{"scores": [');
    };
    const declared = await catchErr(r.score(samples, { step: 0 }));
    expect(declared.message).toContain('answered with Content-Length 5000, more than maxResponseBytes (1000 bytes)');
    // exactly at the cap is accepted
    handler = (_req, _body, res) => res.end(JSON.stringify({ scores: [1, 2, 3] }).padEnd(1000, ' '));
    expect((await r.score(samples, { step: 0 })).scores).toEqual([1, 2, 3]);
  });

  test('redirects are refused by default, followed within the origin when allowed, never to another origin', async () => {
    const other = http.createServer((req, res) => {
      otherHits += 1;
      res.end(JSON.stringify({ scores: [0, 0, 0] }));
    });
    let otherHits = 0;
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    // another port on the same host is another origin
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/score`;
    try {
      handler = (req, body, res) => {
        if (req.url === '/score') {
          res.writeHead(307, { location: '/v2/score' });
          return res.end();
        }
        res.end(JSON.stringify({ scores: JSON.parse(body).samples.map(() => 2) }));
      };
      const strict = new HttpReward(settings(), '/rewards/0', async () => undefined);
      const refused = await catchErr(strict.score(samples, { step: 0 }));
      expect(refused.diagnostics[0].code).toBe('http/redirect');
      expect(refused.message).toContain(`redirected (HTTP 307) to ${url.replace('/score', '/v2/score')}, and followRedirects is false`);
      const follow = new HttpReward({ ...settings(), followRedirects: true }, '/rewards/0', async () => undefined);
      expect((await follow.score(samples, { step: 0 })).scores).toEqual([2, 2, 2]);

      handler = (_req, _body, res) => {
        res.writeHead(307, { location: otherUrl });
        res.end();
      };
      const cross = await catchErr(follow.score(samples, { step: 0 }));
      expect(cross.message).toContain(`redirected (HTTP 307) to another origin, ${new URL(otherUrl).origin}; the samples were not sent there`);
      expect(otherHits).toBe(0);
    } finally {
      other.closeAllConnections();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  test('headersFromEnv reads header values from the environment at create time; a missing variable names it', async () => {
    let auth: string | undefined;
    handler = (req, _body, res) => {
      auth = req.headers.authorization;
      res.end(JSON.stringify({ scores: [1, 1, 1] }));
    };
    const r = new HttpReward({ ...settings(), headersFromEnv: { authorization: 'TEST_REWARD_TOKEN' } }, '/rewards/2', async () => undefined, { TEST_REWARD_TOKEN: 'Bearer t0k' });
    await r.score(samples, { step: 0 });
    expect(auth).toBe('Bearer t0k');
    let err: unknown;
    try {
      new HttpReward({ ...settings(), headersFromEnv: { authorization: 'TEST_REWARD_TOKEN' } }, '/rewards/2', async () => undefined, {});
    } catch (e) {
      err = e;
    }
    expect(DiagnosticError.is(err)).toBe(true);
    expect((err as DiagnosticError).diagnostics[0]).toMatchObject({ code: 'http/missing-env', pointer: '/rewards/2/options/headersFromEnv/authorization' });
    expect((err as DiagnosticError).message).toContain('environment variable TEST_REWARD_TOKEN, which is not set');
  });

  test('a refused connection is a network error, retried', async () => {
    const closed = `${url.replace('/score', '')}/score`;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    server = http.createServer(); // afterEach closes this one
    server.listen(0, '127.0.0.1');
    const r = new HttpReward({ ...settings(), url: closed, retries: 1 }, '/rewards/0', async () => undefined);
    expect((await catchErr(r.score(samples, { step: 0 }))).message).toMatch(/failed 2 times: attempt 1: network error: ECONNREFUSED/);
  });
});

/** Run a Node script in a child process from the package folder (against the compiled package). */
function runScript(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '../..') });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}


// ES modules load through a native import(), which jest's CommonJS sandbox cannot run: this test
// runs the compiled package in a child process (`npx tsc -b plugins/rewards` first).
const DIST = path.resolve(__dirname, '../../dist/remote/function-reward.js');
(fs.existsSync(DIST) ? test : test.skip)('an .mjs module loads through import() in the compiled package (build first)', async () => {
  const script = `
    const { functionReward } = require(${JSON.stringify(DIST)});
    (async () => {
      const mk = (exp) => functionReward.create({ options: { module: 'esm.mjs', export: exp }, resolvePath: (p) => require('path').join(${JSON.stringify(FIX)}, p), pointer: '/rewards/0', container: null });
      const s = [{ prompt: '', completion: 'Done.' }, { prompt: '', completion: 'LOUD' }];
      const a = await (await mk('default')).score(s, { step: 0 });
      const b = await (await mk('shout')).score(s, { step: 0 });
      process.stdout.write(JSON.stringify([a.scores, b.scores]));
    })().catch((e) => { process.stderr.write(String(e && e.message)); process.exit(1); });
  `;
  const out = await runScript(script);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(JSON.parse(out.stdout)).toEqual([
    [1, 0],
    [0, 1],
  ]);
});

// The peak memory of a client fed a 1 GiB answer: the reward runs in a child process (the compiled
// package, `npx tsc -b plugins/rewards` first) against a server here that generates the answer
// chunk by chunk; the child reports process.resourceUsage().maxRSS (KiB).
const HTTP_DIST = path.resolve(__dirname, '../../dist/remote/http-reward.js');
(fs.existsSync(HTTP_DIST) ? test : test.skip)('a 1 GiB answer fails at the cap with peak RSS under 400 MB (build first)', async () => {
  const GIB = 1024 ** 3;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const push = () => {
        while (sent < GIB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', push);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      push();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`;
  const script = `
    const { HttpReward } = require(${JSON.stringify(HTTP_DIST)});
    const r = new HttpReward({ url: ${JSON.stringify(url)}, timeoutMs: 120000, retries: 0, backoffMs: 0, headers: {} }, '/rewards/0');
    r.score([{ prompt: 'p', completion: 'c' }], { step: 0 }).then(
      () => { process.stdout.write(JSON.stringify({ ok: true, maxRSS: process.resourceUsage().maxRSS })); },
      (e) => { process.stdout.write(JSON.stringify({ ok: false, message: e.message, maxRSS: process.resourceUsage().maxRSS })); },
    );
  `;
  try {
    const out = await runScript(script);
    expect(out.stderr).toBe('');
    const result = JSON.parse(out.stdout) as { ok: boolean; message: string; maxRSS: number };
    expect(result.ok).toBe(false);
    expect(result.message).toBe(`reward service ${url} answered a body of more than 16777216 bytes, more than maxResponseBytes (16777216 bytes)`);
    expect(result.maxRSS * 1024).toBeLessThan(400e6);
    expect(sent).toBeLessThan(GIB); // the server stopped once the client went away
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
