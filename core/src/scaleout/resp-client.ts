import * as net from 'node:net';

/**
 * A minimal Redis client speaking RESP2 over one TCP socket, shaped like the raw clients that
 * BullMQ adapts itself (`send(command, args)`, `connected`, `connect()`, `close()`,
 * `duplicate()`, `onconnect`/`onclose`): BullMQ wraps it in its own adapter, so every queue
 * operation is BullMQ's. It exists because BullMQ leaves its Redis driver (ioredis) to the
 * application; {@link redisClientFor} prefers ioredis when it is installed.
 *
 * Replies: simple and bulk strings → string (bulk strings decoded as UTF-8), integers → number,
 * nil → null, arrays → arrays, errors → a rejected Error with Redis's message.
 */
export class RespClient {
  connected = false;
  onconnect: (() => void) | undefined;
  onclose: ((err?: Error) => void) | undefined;
  onerror: ((err: Error) => void) | undefined;
  private socket: net.Socket | undefined;
  private pending: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  private buf: Buffer = Buffer.alloc(0);

  constructor(readonly url: string) {}

  /** host, port, db and password of a redis:// URL. */
  static parse(url: string): { host: string; port: number; db: number; password?: string; username?: string } {
    const u = new URL(url);
    if (u.protocol !== 'redis:') throw new Error(`only redis:// URLs are supported (got ${u.protocol}//)`);
    const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
    return {
      host: u.hostname || '127.0.0.1',
      port: u.port ? Number(u.port) : 6379,
      db: Number.isInteger(db) ? db : 0,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      username: u.username ? decodeURIComponent(u.username) : undefined,
    };
  }

  connect(): Promise<void> {
    const { host, port, db, password, username } = RespClient.parse(this.url);
    return new Promise<void>((resolve, reject) => {
      const socket = net.createConnection({ host, port });
      socket.setNoDelay(true);
      let opened = false;
      socket.once('connect', () => {
        opened = true;
        this.socket = socket;
        this.connected = true;
        const setup: Array<Promise<unknown>> = [];
        if (password !== undefined) setup.push(this.send('AUTH', username ? [username, password] : [password]));
        if (db !== 0) setup.push(this.send('SELECT', [String(db)]));
        Promise.all(setup).then(
          () => {
            resolve();
            this.onconnect?.();
          },
          (err: Error) => {
            socket.destroy();
            reject(err);
          },
        );
      });
      socket.on('data', (d) => this.receive(d));
      socket.on('error', (err) => {
        if (!opened) reject(err);
        else this.onerror?.(err);
      });
      socket.on('close', () => {
        const was = this.connected;
        this.connected = false;
        this.socket = undefined;
        const err = new Error('Connection closed');
        for (const p of this.pending.splice(0)) p.reject(err);
        if (was) this.onclose?.(err);
      });
    });
  }

  /** A new, unconnected client for the same server (BullMQ's blocking connection). */
  async duplicate(): Promise<RespClient> {
    return new RespClient(this.url);
  }

  send(command: string, args: ReadonlyArray<string | Buffer | number> = []): Promise<unknown> {
    const socket = this.socket;
    if (!socket || !this.connected) return Promise.reject(new Error('Connection is closed.'));
    const parts = [command, ...args].map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8')));
    const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
    for (const p of parts) chunks.push(Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      socket.write(Buffer.concat(chunks));
    });
  }

  close(): void {
    const s = this.socket;
    this.connected = false;
    s?.destroy();
  }

  /** The same as {@link close} (the method name BullMQ looks for on a client instance). */
  disconnect(): void {
    this.close();
  }

  private receive(data: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    for (;;) {
      const r = parseReply(this.buf, 0);
      if (!r) return;
      this.buf = this.buf.subarray(r.end);
      const p = this.pending.shift();
      if (!p) continue;
      if (r.value instanceof RedisReplyError) p.reject(new Error(r.value.message));
      else p.resolve(r.value);
    }
  }
}

class RedisReplyError {
  constructor(readonly message: string) {}
}

/** One RESP2 reply starting at `at`, or undefined when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, at: number): { value: unknown; end: number } | undefined {
  if (at >= buf.length) return undefined;
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RedisReplyError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return undefined;
      return { value: buf.toString('utf8', next, next + n), end: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const out: unknown[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, pos);
        if (!r) return undefined;
        // an error nested in an array (EXEC of a transaction) stays a value the caller can inspect
        out.push(r.value instanceof RedisReplyError ? new Error(r.value.message) : r.value);
        pos = r.end;
      }
      return { value: out, end: pos };
    }
    default:
      throw new Error(`unexpected Redis reply type ${JSON.stringify(type)}`);
  }
}
