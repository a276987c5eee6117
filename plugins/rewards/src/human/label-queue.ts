import { DiagnosticError, connectRedis, loadBullMQ, redactRedisUrl, type RedisHandle } from '@rlhfjs/core';
import type { LabelAppender } from '../labels/appender';
import { checkLine, type LabelItem, type LabelRecord, type LabellerInfo, type LabelSource } from '../labels/format';
import { WebLabeller, type LabelSink } from './web/server';

// BullMQ's types through core (its dependency), so that this package needs no dependency of its own
type BullMQ = ReturnType<typeof loadBullMQ>;
type Queue = InstanceType<BullMQ['Queue']>;
type Job = InstanceType<BullMQ['Job']>;
type ConnectionOptions = NonNullable<ConstructorParameters<BullMQ['Queue']>[1]>['connection'];

/** The label job's `queue` option: its schema (each property described). */
export const labelQueueOptionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['redis'],
  description:
    'Hand the items to people through a BullMQ queue on Redis instead of one page: every item without a label in force is put on the queue, `rlhf label-server` processes (one per person, each on its own port and token) serve them, and this job alone appends each answer, once, to the labels file. Needs labeller "web".',
  properties: {
    redis: { type: 'string', minLength: 1, description: 'The Redis URL, e.g. redis://127.0.0.1:6379 (`rlhf label-server --redis` overrides it for a server).' },
    name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', description: 'Name of the BullMQ queue (default: rlhf-label-<recipe name>).' },
    prefetch: { type: 'integer', minimum: 1, maximum: 16, default: 1, description: 'Items a label server holds at once (shown together on its page); the others stay on the queue for other servers.' },
    lockDurationMs: {
      type: 'integer',
      minimum: 500,
      default: 30000,
      description: "BullMQ's lock on an item a server holds (ms), renewed while the server runs: a server that stops renewing it this long (killed, machine lost) has stalled, and its items go back to the queue for another server.",
    },
    stalledIntervalMs: { type: 'integer', minimum: 100, default: 15000, description: 'How often the label servers look for stalled items (ms).' },
    maxStalledCount: {
      type: 'integer',
      minimum: 1,
      default: 10,
      description: 'How many times an item may stall before BullMQ fails it; the label job puts a failed item back on the queue, so this only limits a loop of crashing servers.',
    },
    pollMs: { type: 'integer', minimum: 10, default: 500, description: 'How often the label job reads the answered items from the queue (ms).' },
  },
} as const;

/** The `queue` option after validation. */
export interface LabelQueueOptions {
  redis: string;
  name?: string;
  prefetch: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  pollMs: number;
}

/** What a queued item carries. */
export interface LabelQueueJobData {
  /** The label run's key (`runKey` of its run folder): a resumed run puts the same job ids again. */
  run: string;
  /** The item's place in the run's item list (the order the answers are appended in). */
  index: number;
  item: LabelItem;
  source?: LabelSource;
}

/** What a label server completes an item's job with. */
export interface LabelQueueResult {
  run: string;
  itemId: string;
  record: LabelRecord;
}

/** The queue's name: the option, or `rlhf-label-<recipe name>`. */
export function labelQueueName(recipeName: string, o: { name?: string }): string {
  return o.name ?? `rlhf-label-${recipeName.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** The BullMQ job id of an item of a run: the same item of the same run is put once, however often it is put. */
export function labelJobId(run: string, itemId: string): string {
  return `${run}-${itemId}`;
}

/** One answer read from the queue. */
export interface CollectedLabel {
  index: number;
  itemId: string;
  record: LabelRecord;
}

/**
 * Append the answers read in one pass, in item order (`index`), each item once: an item that
 * already has a label in force in the file (answered twice, e.g. by a server thought dead, or
 * appended before the job was killed) is not appended again. Throws when an answer is not a valid
 * label for its item. Returns the item ids appended and those dropped as already labelled.
 */
export function appendCollected(appender: Pick<LabelAppender, 'current' | 'append'>, answers: readonly CollectedLabel[]): { appended: string[]; duplicates: string[] } {
  const appended: string[] = [];
  const duplicates: string[] = [];
  const seen = new Set<string>();
  for (const a of [...answers].sort((x, y) => x.index - y.index || (x.itemId < y.itemId ? -1 : x.itemId > y.itemId ? 1 : 0))) {
    const problems = checkLine(a.record);
    if (a.record?.id !== a.itemId) problems.push(`its id is ${JSON.stringify(a.record?.id)}, not the item's ${a.itemId}`);
    if (problems.length) {
      throw new DiagnosticError({ code: 'label/bad-answer', plugin: 'job/label', pointer: '/job/options/queue', message: `the answer to item ${a.itemId} read from the queue is not a label: ${problems.join('; ')}`, fix: 'run label servers of the same version as this job (rlhf label-server)' });
    }
    if (seen.has(a.itemId) || appender.current(a.itemId)) {
      duplicates.push(a.itemId);
      continue;
    }
    appender.append(a.record);
    appended.push(a.itemId);
    seen.add(a.itemId);
  }
  return { appended, duplicates };
}

/** Connect to the queue's Redis; unreachable → `workers/redis-unreachable` naming the URL. */
async function connect(url: string, pointer?: string): Promise<RedisHandle> {
  return connectRedis(url, { pointer });
}

/**
 * The label job's side of the queue: puts the items, then reads the answers and appends them
 * (the only writer of the labels file).
 */
export class LabelQueueCollector {
  private readonly putItems = new Map<string, { index: number; item: LabelItem; source?: LabelSource }>();

  private constructor(
    private readonly redis: RedisHandle,
    private readonly queue: Queue,
    readonly name: string,
    private readonly run: string,
    private readonly o: LabelQueueOptions,
  ) {}

  static async open(o: LabelQueueOptions, name: string, run: string): Promise<LabelQueueCollector> {
    const redis = await connect(o.redis, '/job/options/queue/redis');
    const { Queue } = loadBullMQ();
    return new LabelQueueCollector(redis, new Queue(name, { connection: redis.connection as ConnectionOptions }), name, run, o);
  }

  /**
   * Put every item without a label in force on the queue (an item already queued by an earlier
   * start of this run keeps its job: same id), and remove this run's finished jobs whose item is
   * labelled already (left by a start killed between appending and removing). Returns the ids put.
   */
  async put(items: readonly LabelItem[], appender: Pick<LabelAppender, 'current'>, source?: LabelSource): Promise<string[]> {
    const todo: Array<{ index: number; item: LabelItem }> = [];
    items.forEach((item, index) => {
      if (!appender.current(item.id)) todo.push({ index, item });
    });
    for (const job of await this.finishedJobs()) {
      const d = job.data as LabelQueueJobData;
      if (d.run === this.run && appender.current(d.item.id)) await job.remove();
    }
    for (const t of todo) this.putItems.set(t.item.id, { ...t, source });
    for (let i = 0; i < todo.length; i += 500) {
      await this.queue.addBulk(
        todo.slice(i, i + 500).map(({ index, item }) => ({
          name: 'label',
          data: { run: this.run, index, item, source } satisfies LabelQueueJobData,
          opts: { jobId: labelJobId(this.run, item.id), removeOnComplete: false, removeOnFail: false },
        })),
      );
    }
    return todo.map((t) => t.item.id);
  }

  /**
   * Read the answers until every item of `pending` has a label in force: each pass appends the
   * answers found (in item order, each once: {@link appendCollected}) and then removes their jobs;
   * a failed job (stalled too often) is put back on the queue.
   */
  async collect(pending: readonly string[], appender: Pick<LabelAppender, 'current' | 'append'>, o: { signal?: AbortSignal; progress?: (labelled: number, total: number) => void } = {}): Promise<void> {
    const left = new Set(pending.filter((id) => !appender.current(id)));
    const total = pending.length;
    for (let pass = 1; left.size; pass++) {
      if (o.signal?.aborted) throw new Error('label job aborted');
      // now and then: an item whose job is gone (a Redis restarted without persistence, a queue
      // emptied by hand) is put again, so that no item waits for an answer that cannot come
      if (pass % 20 === 0) await this.putMissing(left);
      const answers: CollectedLabel[] = [];
      const jobs = new Map<string, Job>();
      for (const job of await this.queue.getCompleted(0, -1)) {
        const d = job.data as LabelQueueJobData;
        if (d?.run !== this.run || !left.has(d.item.id)) continue;
        const r = job.returnvalue as LabelQueueResult | undefined;
        answers.push({ index: d.index, itemId: d.item.id, record: r?.record as LabelRecord });
        jobs.set(d.item.id, job);
      }
      for (const job of await this.queue.getFailed(0, -1)) {
        const d = job.data as LabelQueueJobData;
        if (d?.run === this.run && left.has(d.item.id)) await job.retry('failed');
      }
      const { appended, duplicates } = appendCollected(appender, answers);
      for (const id of [...appended, ...duplicates]) {
        left.delete(id);
        await jobs.get(id)?.remove();
      }
      if (appended.length) o.progress?.(total - left.size, total);
      if (left.size) await sleep(this.o.pollMs, o.signal);
    }
  }

  /** Put again the items of `ids` whose job is no longer in the queue. */
  private async putMissing(ids: ReadonlySet<string>): Promise<void> {
    for (const [itemId, entry] of this.putItems) {
      if (!ids.has(itemId)) continue;
      const jobId = labelJobId(this.run, itemId);
      if (await this.queue.getJob(jobId)) continue;
      await this.queue.add('label', { run: this.run, index: entry.index, item: entry.item, source: entry.source } satisfies LabelQueueJobData, { jobId, removeOnComplete: false, removeOnFail: false });
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit().catch(() => undefined);
  }

  private async finishedJobs(): Promise<Job[]> {
    return [...(await this.queue.getCompleted(0, -1)), ...(await this.queue.getFailed(0, -1))];
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** The answers a label server's page gives, kept in memory until its job is completed. */
class MemorySink implements LabelSink {
  private readonly records = new Map<string, LabelRecord>();
  current(id: string): LabelRecord | undefined {
    return this.records.get(id);
  }
  append(record: LabelRecord): void {
    this.records.set(record.id, record);
  }
  undo(id: string, _labeller: LabellerInfo): boolean {
    return this.records.delete(id);
  }
  forget(id: string): void {
    this.records.delete(id);
  }
}

export interface LabelServerSettings {
  queue: LabelQueueOptions;
  name: string;
  labellerId: string;
  port?: number;
  question?: string;
  pairQuestion?: string;
  out(line: string): void;
  log(line: string): void;
  signal: AbortSignal;
}

interface Held {
  job: Job;
  token: string;
  data: LabelQueueJobData;
  resolve: (r: LabelQueueResult) => void;
  reject: (e: Error) => void;
}

/**
 * A label server: a BullMQ worker on the label queue with `prefetch` slots; each item it takes is
 * shown on the web labeller's page (127.0.0.1, its own token) and its job completed with the
 * person's label. BullMQ renews the lock of the items held while the process runs; killed, it stops,
 * and the other servers' stalled-job check puts the items back on the queue. On SIGINT/SIGTERM, or
 * when the person presses finish, the items held go straight back to the queue.
 */
export async function serveLabelQueue(s: LabelServerSettings): Promise<void> {
  const redis = await connect(s.queue.redis);
  const { Worker, WaitingError } = loadBullMQ();
  const sink = new MemorySink();
  const web = new WebLabeller(sink, {
    labellerId: s.labellerId,
    port: s.port,
    question: s.question,
    pairQuestion: s.pairQuestion,
    onFinish: () => stop(),
    onUrl: (url) => s.out(`Label in your browser: ${url}\n(items from queue ${s.name} at ${redactRedisUrl(s.queue.redis)}; answers go to the label job, which writes the labels file)`),
  });
  await web.start();
  const held: Held[] = [];
  let showing = false;
  let stopping = false;

  const release = async (h: Held): Promise<void> => {
    try {
      await h.job.moveToWait(h.token);
      h.reject(new WaitingError());
    } catch (err) {
      h.reject(err as Error);
    }
  };

  /** Show the held items not yet shown, one batch (one source) at a time. */
  const pump = async (): Promise<void> => {
    if (showing) return;
    showing = true;
    try {
      while (held.length && !stopping) {
        const key = JSON.stringify(held[0].data.source ?? null);
        const batch = held.filter((h) => JSON.stringify(h.data.source ?? null) === key);
        for (const h of batch) sink.forget(h.data.item.id);
        await web.label(
          batch.map((h) => h.data.item),
          { source: batch[0].data.source, signal: s.signal },
        );
        for (const h of batch) {
          const record = sink.current(h.data.item.id);
          if (!record) continue; // finish pressed or stopping: released below
          held.splice(held.indexOf(h), 1);
          s.log(`answered item ${h.data.item.id} (job ${h.job.id})`);
          h.resolve({ run: h.data.run, itemId: h.data.item.id, record });
        }
        if (web.stopped) stop();
      }
    } finally {
      showing = false;
    }
  };

  const worker = new Worker(
    s.name,
    (job: Job, token?: string) =>
      new Promise<LabelQueueResult>((resolve, reject) => {
        const data = job.data as LabelQueueJobData;
        s.log(`holding item ${data.item.id} (job ${job.id})`);
        const h: Held = { job, token: token ?? '', data, resolve, reject };
        held.push(h);
        if (stopping) {
          held.splice(held.indexOf(h), 1);
          void release(h);
          return;
        }
        void pump().catch((err: Error) => s.log(`label server error: ${err.message}`));
      }),
    {
      connection: redis.connection as ConnectionOptions,
      concurrency: s.queue.prefetch,
      lockDuration: s.queue.lockDurationMs,
      stalledInterval: s.queue.stalledIntervalMs,
      maxStalledCount: s.queue.maxStalledCount,
    },
  );
  worker.on('stalled', (id) => s.log(`item job ${id} stalled (its server stopped renewing the lock): back to the queue`));
  worker.on('error', (err) => s.log(`label server error: ${err.message}`));
  const closed = new Promise<void>((resolve) => worker.on('closed', () => resolve()));

  function stop(): void {
    if (stopping) return;
    stopping = true;
    // closing first: the worker takes no further item (a released one would be taken again)
    const closing = worker.close();
    void (async () => {
      for (const h of held.splice(0)) await release(h);
      await closing;
    })();
  }
  s.signal.addEventListener('abort', stop, { once: true });
  if (s.signal.aborted) stop();
  s.out(`label server ${process.pid}: serving items of queue ${s.name}, ${s.queue.prefetch} at a time`);
  await closed;
  await web.close();
  await redis.quit().catch(() => undefined);
}
