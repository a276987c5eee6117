import { DiagnosticError } from '../diagnostics';

/** The Redis calls this package makes itself (BullMQ makes the rest through the same client). */
export interface RedisHandle {
  /** The client object BullMQ's `connection` option takes. */
  readonly connection: unknown;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  quit(): Promise<unknown>;
}

/**
 * BullMQ itself (a dependency of @rlhfjs/core), loaded on first use, for plugins that put work on
 * a queue of their own (the label job's `queue` option) with a client from {@link connectRedis}.
 */
export function loadBullMQ(): typeof import('bullmq') {
  return require('bullmq') as typeof import('bullmq');
}

/** A Redis URL with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** host, port, db and credentials of a redis:// (or rediss://) URL. */
export function parseRedisUrl(url: string): { host: string; port: number; db: number; password?: string; username?: string; tls: boolean } {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`only redis:// and rediss:// URLs are supported (got ${u.protocol}//)`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`the database number "${u.pathname.slice(1)}" is not a non-negative integer`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    tls: u.protocol === 'rediss:',
  };
}

/**
 * Connect to Redis at `url` with ioredis (BullMQ's driver), trying `attempts` times (waiting
 * `delayMs`, doubled each time, between tries), and return the client BullMQ's `connection` option
 * takes. When no try reaches the server: a DiagnosticError (`workers/redis-unreachable`) that names
 * the URL (password hidden), the tries and the cause. Once connected, the client reconnects by
 * itself, and BullMQ's commands wait for it (`maxRetriesPerRequest: null`, as BullMQ requires).
 */
export async function connectRedis(url: string, o: { attempts?: number; delayMs?: number; pointer?: string } = {}): Promise<RedisHandle> {
  const attempts = o.attempts ?? 5;
  let delay = o.delayMs ?? 200;
  let parsed: ReturnType<typeof parseRedisUrl>;
  try {
    parsed = parseRedisUrl(url);
  } catch (err) {
    throw new DiagnosticError({ code: 'workers/bad-redis-url', pointer: o.pointer, message: `${redactRedisUrl(url)} is not a Redis URL: ${(err as Error).message}`, fix: 'write it as redis://host:port (e.g. redis://127.0.0.1:6379)' });
  }
  const { default: IORedis } = require('ioredis') as typeof import('ioredis');
  let last: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    const client = new IORedis({
      host: parsed.host,
      port: parsed.port,
      db: parsed.db,
      username: parsed.username,
      password: parsed.password,
      tls: parsed.tls ? {} : undefined,
      lazyConnect: true,
      maxRetriesPerRequest: null,
      // this function does the retrying before the first connection; after it, reconnect steadily
      retryStrategy: () => 1000,
    });
    client.on('error', (err: Error) => (last = err)); // reported below, or by the command that fails
    try {
      await client.connect();
      const pong = await client.ping();
      if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
      return { connection: client, get: (k) => client.get(k), set: (k, v) => client.set(k, v), quit: () => client.quit() };
    } catch (err) {
      last = err as Error;
      client.disconnect();
      if (i + 1 < attempts) {
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
      }
    }
  }
  throw new DiagnosticError(
    {
      code: 'workers/redis-unreachable',
      pointer: o.pointer,
      message: `cannot reach Redis at ${redactRedisUrl(url)} after ${attempts} tries: ${last?.message ?? 'no answer'}`,
      fix: 'start a Redis server there (Debian: apt-get install redis-server; redis-server --port <port>), or point runtime.workers.redis (or --redis) at one that runs',
    },
    { exitCode: 1 },
  );
}
