/**
 * A throwaway npm registry for end-to-end tests: verdaccio (a root devDependency) started with node
 * on 127.0.0.1 and a free port, its storage and config in a temp folder. Packages named
 * `@rlhfjs/*` or `rlhf-plugin-*` are served from that storage only (what the test publishes);
 * every other package is proxied from the registry npm is configured with, so third-party
 * dependencies (tfjs, yaml, jest...) install as they would for a user.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { freePort } from '../helpers/redis';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';

export interface LocalRegistry {
  url: string;
  /** The environment of installs: this registry only, no token, nothing inherited from an enclosing npm. */
  env: NodeJS.ProcessEnv;
  /** The same, with the token of a user allowed to publish (its npmrc). */
  publishEnv: NodeJS.ProcessEnv;
  /** The registry third-party packages are proxied from. */
  upstream: string;
  stop(): Promise<void>;
  log(): string;
}


/** The environment a child npm gets: npm_* variables of an enclosing `npm test` dropped (they name its userconfig, prefix...). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

/** The registry npm is configured with here (user/global npmrc, environment), where third-party packages come from. */
export function configuredRegistry(): string {
  const res = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', env: cleanEnv() });
  const url = res.status === 0 ? res.stdout.trim() : '';
  return url.startsWith('http') ? url : 'https://registry.npmjs.org/';
}

/** Whether `registry` answers a metadata request within 20 s. */
export async function reachable(registry: string): Promise<string | undefined> {
  try {
    const res = await fetch(new URL('semver', registry.endsWith('/') ? registry : registry + '/'), { signal: AbortSignal.timeout(20_000) });
    return res.ok ? undefined : `${registry} answered ${res.status}`;
  } catch (e) {
    return `${registry} is not reachable (${(e as Error).message})`;
  }
}

/**
 * One HTTP request to the local registry on a fresh connection (no keep-alive: verdaccio closes idle
 * sockets, and a pooled one fails with "other side closed").
 */
export function request(url: string, method = 'GET', body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method, agent: false, timeout: 60_000, headers: { accept: 'application/json', ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

export async function startRegistry(dir: string, verdaccioBin: string, upstream: string): Promise<LocalRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(storage, { recursive: true });
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(storage)}`,
      'auth:',
      `  htpasswd: { file: ${JSON.stringify(path.join(dir, 'htpasswd'))}, max_users: 10 }`,
      'uplinks:',
      `  upstream: { url: ${JSON.stringify(upstream)}, timeout: 120s, max_fails: 5, maxage: 60m }`,
      'packages:',
      // ours: local only, never looked up upstream
      "  '@rlhfjs/*': { access: $all, publish: $authenticated, unpublish: $authenticated }",
      "  'rlhf-plugin-*': { access: $all, publish: $authenticated, unpublish: $authenticated }",
      "  '**': { access: $all, publish: $authenticated, proxy: upstream }",
      'max_body_size: 200mb',
      // signed tokens, checked without the htpasswd hash (which costs a bcrypt per request)
      'security:',
      '  api: { legacy: false, jwt: { sign: { expiresIn: 1d } } }',
      'web: { enable: false }',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(process.execPath, [verdaccioBin, '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  const stop = async (): Promise<void> => {
    if (exited !== undefined) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    });
  };

  const deadline = Date.now() + 60_000;
  while (true) {
    if (exited !== undefined) throw new Error(`verdaccio exited (${exited}) before answering:\n${output}`);
    try {
      if ((await request(new URL('-/ping', url).href)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`verdaccio did not answer on ${url} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  // a user, through the registry's own adduser endpoint (what `npm adduser` calls); its token publishes
  const res = await request(new URL('-/user/org.couchdb.user:release', url).href, 'PUT', {
    _id: 'org.couchdb.user:release',
    name: 'release',
    password: 'local-registry-only',
    email: 'release@example.invalid',
    type: 'user',
    roles: [],
    date: new Date().toISOString(),
  });
  const body = res.json as { token?: string };
  if (res.status >= 300 || !body.token) {
    await stop();
    throw new Error(`adduser on ${url} failed (${res.status}): ${JSON.stringify(body)}`);
  }
  const host = url.replace(/^http:/, '');
  const common = `registry=${url}\naudit=false\nfund=false\nupdate-notifier=false\n`;
  fs.writeFileSync(path.join(dir, 'npmrc'), common);
  fs.writeFileSync(path.join(dir, 'npmrc-publish'), `${common}${host}:_authToken=${body.token}\n`);
  const env = cleanEnv({ npm_config_userconfig: path.join(dir, 'npmrc'), npm_config_registry: url });
  const publishEnv = cleanEnv({ npm_config_userconfig: path.join(dir, 'npmrc-publish'), npm_config_registry: url });
  return { url, env, publishEnv, upstream, stop, log: () => output };
}

/** Run a command with the registry's environment; throws with its output when it exits non-zero. */
export function run(reg: LocalRegistry, cmd: string, args: string[], cwd: string, timeout = 300_000, opts: { publish?: boolean } = {}): SpawnSyncReturns<string> & { seconds: number } {
  const t0 = Date.now();
  const res = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: opts.publish ? reg.publishEnv : reg.env, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (Date.now() - t0) / 1000;
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${res.status}${res.error ? ` (${res.error.message})` : ''} after ${seconds.toFixed(1)} s\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}\n--- registry\n${reg.log()}`);
  }
  return Object.assign(res, { seconds });
}
