import { DiagnosticError } from '../diagnostics';
import { RespClient } from './resp-client';

/** The Redis calls this package makes itself (BullMQ makes the rest through the same client). */
export interface RedisHandle {
  /** The client object BullMQ's `connection` option takes. */
  readonly connection: unknown;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  quit(): Promise<unknown>;
}

/** A Redis URL with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * Connect to Redis at `url`, trying `attempts` times (waiting `delayMs`, doubled each time, between
 * tries), and return a client for BullMQ. ioredis is used when it is installed; otherwise the
 * package's own RESP client, wrapped in BullMQ's adapter for such clients. When no try reaches the
 * server: a DiagnosticError (`workers/redis-unreachable`) that names the URL, the tries and the cause.
 */
export async function connectRedis(url: string, o: { attempts?: number; delayMs?: number; pointer?: string } = {}): Promise<RedisHandle> {
  const attempts = o.attempts ?? 5;
  let delay = o.delayMs ?? 200;
  let last: Error | undefined;
  try {
    RespClient.parse(url);
  } catch (err) {
    throw new DiagnosticError({ code: 'workers/bad-redis-url', pointer: o.pointer, message: `${redactRedisUrl(url)} is not a Redis URL: ${(err as Error).message}`, fix: 'write it as redis://host:port (e.g. redis://127.0.0.1:6379)' });
  }
  for (let i = 0; i < attempts; i++) {
    const raw = new RespClient(url);
    try {
      await raw.connect();
      const pong = await raw.send('PING');
      if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
      return wrap(url, raw);
    } catch (err) {
      raw.close();
      last = err as Error;
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

function wrap(url: string, raw: RespClient): RedisHandle {
  let ioredis: (new (url: string, opts: Record<string, unknown>) => unknown) | undefined;
  try {
    ioredis = require('ioredis') as new (url: string, opts: Record<string, unknown>) => unknown;
  } catch {
    ioredis = undefined;
  }
  if (ioredis) {
    raw.close();
    const client = new ioredis(url, { maxRetriesPerRequest: null }) as { get(k: string): Promise<string | null>; set(k: string, v: string): Promise<unknown>; quit(): Promise<unknown> };
    return { connection: client, get: (k) => client.get(k), set: (k, v) => client.set(k, v), quit: () => client.quit() };
  }
  const { createBunRedisClient } = require('bullmq') as typeof import('bullmq');
  const client = createBunRedisClient(raw as unknown as Parameters<typeof createBunRedisClient>[0]);
  // through BullMQ's adapter, which reconnects (with a new raw client) when the connection drops
  return {
    connection: client,
    get: (k) => client.get(k) as Promise<string | null>,
    set: (k, v) => client.set(k, v),
    quit: async () => {
      await client.quit();
      raw.close();
    },
  };
}
