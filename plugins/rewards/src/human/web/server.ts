import * as http from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { makeRecord, type Decision, type LabelItem, type LabelRecord, type LabellerInfo, type LabelSource } from '../../labels/format';
import { DEFAULT_PAIR_QUESTION, DEFAULT_QUESTION, type Labeller, type LabelRequestOptions } from '../labeller';
import { renderPage } from './page';

/**
 * Where the page's answers go: the labels file's appender, or (a label server on a queue) the
 * answers held in memory until their jobs are completed.
 */
export interface LabelSink {
  /** The answer in force for an item id. */
  current(id: string): LabelRecord | undefined;
  append(record: LabelRecord): void;
  /** Withdraw the answer of `id`; false when none was in force. */
  undo(id: string, labeller: LabellerInfo): boolean;
}

export interface WebLabellerOptions {
  /** Who is labelling (recorded in every label). */
  labellerId: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  question?: string;
  pairQuestion?: string;
  /** Called with the page's URL (token included) once the server listens. */
  onUrl?: (url: string) => void;
  /** Called when the person presses finish (after the waiting batch, if any, was settled). */
  onFinish?: () => void;
}

/** One item as the page sees it. */
export interface ItemView {
  id: string;
  type: 'pointwise' | 'pair';
  prompt: string;
  completion?: string;
  a?: string;
  b?: string;
  /** The answer in force: 0/1, "a"/"b", "skip", or null when not answered yet. */
  answer: 0 | 1 | 'a' | 'b' | 'skip' | null;
}

export interface QueueState {
  items: ItemView[];
  done: number;
  total: number;
  /** True while a batch waits for answers. */
  waiting: boolean;
  finished: boolean;
  question: string;
  pairQuestion: string;
  labeller: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024;

/**
 * A labelling page served on 127.0.0.1. The URL carries an unguessable token that every request
 * must present (query `token` or header `X-Label-Token`). Answers go through the label appender,
 * so they are on disk when the page hears back, and a reload shows them.
 */
export class WebLabeller implements Labeller {
  readonly info: LabellerInfo;
  readonly token = randomBytes(24).toString('base64url');
  private server: http.Server | undefined;
  private starting: Promise<void> | undefined;
  private port = 0;
  private items: LabelItem[] = [];
  private history: string[] = [];
  private source: LabelSource | undefined;
  private resolveBatch: (() => void) | undefined;
  private finished = false;

  constructor(
    private readonly appender: LabelSink,
    private readonly options: WebLabellerOptions,
  ) {
    this.info = { kind: 'human', id: options.labellerId, simulated: false };
  }

  /** Start listening (idempotent); returns the page URL with the token. */
  async start(): Promise<string> {
    this.starting ??= (async () => {
      const server = http.createServer((req, res) => void this.handle(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
      });
      this.server = server;
      this.port = (server.address() as AddressInfo).port;
      this.options.onUrl?.(this.url);
    })();
    await this.starting;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/?token=${this.token}`;
  }

  async label(items: readonly LabelItem[], options: LabelRequestOptions = {}): Promise<Array<LabelRecord | undefined>> {
    if (this.resolveBatch) throw new Error('web labeller: a batch is already waiting for answers; label one batch at a time');
    await this.start();
    this.items = [...items];
    this.history = [];
    this.source = options.source;
    if (!this.finished && !this.complete()) {
      await new Promise<void>((resolve) => {
        this.resolveBatch = resolve;
        options.signal?.addEventListener('abort', () => this.settle(), { once: true });
      });
    }
    return items.map((i) => this.appender.current(i.id));
  }

  /** True once the person pressed "finish" (q): later batches ask nothing. */
  get stopped(): boolean {
    return this.finished;
  }

  state(): QueueState {
    const items = this.items.map((i) => view(i, this.appender.current(i.id)));
    return {
      items,
      done: items.filter((i) => i.answer !== null).length,
      total: items.length,
      waiting: this.resolveBatch !== undefined,
      finished: this.finished,
      question: this.options.question ?? DEFAULT_QUESTION,
      pairQuestion: this.options.pairQuestion ?? DEFAULT_PAIR_QUESTION,
      labeller: this.info.id,
    };
  }

  async close(): Promise<void> {
    this.settle();
    await this.starting?.catch(() => undefined);
    const s = this.server;
    this.server = undefined;
    this.starting = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  private complete(): boolean {
    return this.items.every((i) => this.appender.current(i.id));
  }

  private settle(): void {
    const r = this.resolveBatch;
    this.resolveBatch = undefined;
    r?.();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
      const host = req.headers.host ?? '';
      if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}`) throw new HttpError(403, `unexpected Host header "${host}"`);
      const given = url.searchParams.get('token') ?? header(req, 'x-label-token') ?? '';
      if (!this.tokenMatches(given)) throw new HttpError(403, 'missing or wrong token: open the URL printed when labelling started');
      if (req.method === 'POST') checkPost(req, host);
      const route = `${req.method} ${url.pathname}`;
      switch (route) {
        case 'GET /':
        case 'GET /index.html':
          return send(res, 200, renderPage(this.token), 'text/html; charset=utf-8');
        case 'GET /api/state':
          return sendJson(res, 200, this.state());
        case 'POST /api/label': {
          const body = await readJson(req);
          this.answer(body);
          return sendJson(res, 200, this.state());
        }
        case 'POST /api/undo': {
          await readJson(req, true);
          const last = this.history[this.history.length - 1];
          if (last !== undefined) this.refuseIfResolved(last);
          const id = this.history.pop();
          if (id === undefined) throw new HttpError(400, 'nothing to undo in this batch');
          this.appender.undo(id, this.info);
          return sendJson(res, 200, this.state());
        }
        case 'POST /api/finish': {
          await readJson(req, true);
          this.finished = true;
          this.settle();
          this.options.onFinish?.();
          return sendJson(res, 200, this.state());
        }
        default:
          if (['/', '/index.html', '/api/state', '/api/label', '/api/undo', '/api/finish'].includes(url.pathname)) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
          throw new HttpError(404, `no such page: ${url.pathname}`);
      }
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
      return sendJson(res, 500, { error: `internal error: ${(err as Error).message}` });
    }
  }

  /**
   * Once a batch has resolved, its labels were handed to training: a change now (relabel or undo)
   * would make the labels file disagree with what training used, so it is refused.
   */
  private refuseIfResolved(id: string): void {
    if (this.resolveBatch === undefined) {
      throw new HttpError(409, `item "${id}" belongs to a batch that has already been handed to training; its label can no longer be changed or undone (reload the page for the next batch)`);
    }
  }

  private tokenMatches(given: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private answer(body: unknown): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object such as {"id": "…", "label": 1}');
    const b = body as Record<string, unknown>;
    const known = ['id', 'label', 'choice', 'skip'];
    const extra = Object.keys(b).filter((k) => !known.includes(k));
    if (extra.length) throw new HttpError(400, `unknown field(s) ${extra.map((k) => `"${k}"`).join(', ')}: send "id" with one of "label" (0/1), "choice" ("a"/"b") or "skip": true`);
    if (typeof b.id !== 'string') throw new HttpError(400, '"id" must be the item id (a string)');
    const item = this.items.find((i) => i.id === b.id);
    if (!item) throw new HttpError(400, `unknown item id "${b.id}": it is not in the current queue (reload the page)`);
    const given = ['label', 'choice', 'skip'].filter((k) => b[k] !== undefined);
    if (given.length !== 1) throw new HttpError(400, 'send exactly one of "label" (0/1), "choice" ("a"/"b") or "skip": true');
    let decision: Decision;
    if (b.skip !== undefined) {
      if (b.skip !== true) throw new HttpError(400, '"skip" must be true');
      decision = { kind: 'skip' };
    } else if (b.label !== undefined) {
      if (item.type !== 'pointwise') throw new HttpError(400, `item "${item.id}" is a pair: answer with "choice": "a" or "b"`);
      if (b.label !== 0 && b.label !== 1) throw new HttpError(400, `"label" must be 0 or 1, got ${JSON.stringify(b.label)}`);
      decision = { kind: 'label', label: b.label };
    } else {
      if (item.type !== 'pair') throw new HttpError(400, `item "${item.id}" is a single completion: answer with "label": 0 or 1`);
      if (b.choice !== 'a' && b.choice !== 'b') throw new HttpError(400, `"choice" must be "a" or "b", got ${JSON.stringify(b.choice)}`);
      decision = { kind: 'choice', choice: b.choice };
    }
    this.refuseIfResolved(item.id);
    this.appender.append(makeRecord(item, decision, this.info, this.source));
    this.history = this.history.filter((h) => h !== item.id);
    this.history.push(item.id);
    if (this.complete()) this.settle();
  }
}

function view(item: LabelItem, rec: LabelRecord | undefined): ItemView {
  let answer: ItemView['answer'] = null;
  if (rec?.skipped) answer = 'skip';
  else if (rec?.type === 'pointwise') answer = rec.label;
  else if (rec?.type === 'pair' && item.type === 'pair') answer = rec.chosen === item.a ? 'a' : 'b';
  return item.type === 'pointwise'
    ? { id: item.id, type: 'pointwise', prompt: item.prompt, completion: item.completion, answer }
    : { id: item.id, type: 'pair', prompt: item.prompt, a: item.a, b: item.b, answer };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Every POST must be JSON (415 otherwise) and must come from the page itself: an `Origin` other
 * than the page's own (`http://` + the checked Host) or a `Sec-Fetch-Site` other than
 * `same-origin`/`none` is refused with 403. A request with neither header (a script or curl with
 * the token) is allowed: the token already authenticates it.
 */
function checkPost(req: http.IncomingMessage, host: string): void {
  const origin = header(req, 'origin');
  if (origin !== undefined && origin !== `http://${host}`) throw new HttpError(403, `cross-origin request refused: Origin "${origin}" is not this page's origin http://${host}`);
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, `cross-origin request refused: Sec-Fetch-Site is "${site}"`);
  const type = (header(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, `the body must be sent as Content-Type: application/json, got ${type ? `"${type}"` : 'none'}`);
}

async function readJson(req: http.IncomingMessage, allowEmpty = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) {
    if (allowEmpty) return {};
    throw new HttpError(400, 'the body is empty: send JSON such as {"id": "…", "label": 1}');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
  }
}

function send(res: http.ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
  });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}
