import { DiagnosticError, definePlugin, type RewardContext, type RewardResult, type RewardSample, type RewardSource } from '@rlhfjs/core';
import { httpRewardOptionsSchema, type HttpRewardOptions } from './http.options';

const PLUGIN = 'reward/http';

const MAX_REDIRECTS = 5;

class Retryable extends Error {}

/**
 * A reward from an HTTP service: POST `{ samples, context }` as JSON, expect `{ scores }` with one
 * number per sample. Timeouts, network errors, 429 and 5xx answers are retried with exponential
 * backoff; other answers fail at once with the status and an excerpt of the body.
 */
export class HttpReward implements RewardSource {
  private readonly s: Required<Pick<HttpRewardOptions, 'maxResponseBytes' | 'followRedirects'>> & HttpRewardOptions;
  private readonly headers: Record<string, string>;

  constructor(
    options: HttpRewardOptions,
    private readonly pointer = '/rewards',
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.s = { ...options, maxResponseBytes: options.maxResponseBytes ?? 16777216, followRedirects: options.followRedirects ?? false };
    this.headers = { ...options.headers };
    for (const [name, variable] of Object.entries(options.headersFromEnv ?? {})) {
      const value = env[variable];
      if (value === undefined || value === '') {
        throw new DiagnosticError(
          {
            code: 'http/missing-env',
            message: `header "${name}" is to be read from the environment variable ${variable}, which is not set`,
            fix: `export ${variable}=... before the run (its value is never written to the run folder)`,
            plugin: PLUGIN,
            pointer: `${this.pointer}/options/headersFromEnv/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          },
          { exitCode: 1 },
        );
      }
      this.headers[name] = value;
    }
  }

  async score(samples: RewardSample[], ctx: RewardContext): Promise<RewardResult> {
    const body = JSON.stringify({ samples, context: { step: ctx.step, model: ctx.model ?? null } });
    const failures: string[] = [];
    for (let attempt = 0; attempt <= this.s.retries; attempt++) {
      if (attempt > 0) await this.sleep(this.s.backoffMs * 2 ** (attempt - 1));
      if (ctx.signal?.aborted) throw this.error('http/aborted', `request to ${this.s.url} aborted`, 'the run was stopped');
      try {
        return await this.once(body, samples.length, ctx.signal);
      } catch (err) {
        if (!(err instanceof Retryable)) throw err;
        failures.push(`attempt ${attempt + 1}: ${err.message}`);
      }
    }
    throw this.error(
      'http/failed',
      `reward service ${this.s.url} failed ${failures.length} time${failures.length > 1 ? 's' : ''}: ${failures.join('; ')}`,
      'check that the service runs and answers within timeoutMs; raise timeoutMs or retries if it is just slow',
    );
  }

  private async once(body: string, n: number, signal: AbortSignal | undefined): Promise<RewardResult> {
    const timeout = AbortSignal.timeout(this.s.timeoutMs);
    const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await this.post(body, combined);
      text = await this.readBounded(res);
    } catch (err) {
      if (DiagnosticError.is(err)) throw err;
      if (signal?.aborted) throw this.error('http/aborted', `request to ${this.s.url} aborted`, 'the run was stopped');
      if (timeout.aborted) throw new Retryable(`no answer within ${this.s.timeoutMs} ms (timeout)`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Retryable(`network error: ${[cause?.code, cause?.message ?? (err as Error).message].filter(Boolean).join(' ')}`);
    }
    if (!res.ok) {
      const msg = `HTTP ${res.status} ${res.statusText}: ${excerpt(text)}`;
      if (res.status === 429 || res.status >= 500) throw new Retryable(msg);
      throw this.error('http/status', `reward service ${this.s.url} answered ${msg}`, 'the service refused the request: check the URL, the headers (e.g. an API key) and the request format in docs/human-feedback.md');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.error('http/bad-json', `reward service ${this.s.url} answered with something that is not JSON: ${excerpt(text)}`, 'the service must answer {"scores": [number, ...]} with content-type application/json');
    }
    const scores = (json as { scores?: unknown } | null)?.scores;
    if (!Array.isArray(scores)) {
      throw this.error('http/bad-shape', `reward service ${this.s.url} answered ${excerpt(text)}, which has no "scores" array`, 'answer {"scores": [number, ...]}, one number per sample');
    }
    if (scores.length !== n) throw this.error('http/bad-shape', `reward service ${this.s.url} returned ${scores.length} scores for ${n} samples`, 'answer one score per sample, in the order of the samples');
    scores.forEach((v, i) => {
      // JSON.parse turns an over-large literal such as 1e999 into Infinity; JSON.stringify would print it as null
      if (typeof v !== 'number' || !Number.isFinite(v)) throw this.error('http/bad-shape', `reward service ${this.s.url} returned ${typeof v === 'number' ? String(v) : JSON.stringify(v)} as the score of sample ${i}`, 'every score must be a finite number');
    });
    return { scores: scores as number[] };
  }

  /**
   * POSTs the batch. Redirects are handled here, not by fetch: refused unless followRedirects is
   * set, and refused to another origin in any case, so the samples never go to another host.
   */
  private async post(body: string, signal: AbortSignal): Promise<Response> {
    let target = new URL(this.s.url);
    const origin = target.origin;
    for (let hop = 0; ; hop++) {
      const res = await fetch(target, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json', accept: 'application/json', ...this.headers }, body, signal });
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || location === null) return res;
      await res.body?.cancel().catch(() => undefined);
      const next = new URL(location, target);
      if (next.origin !== origin) {
        throw this.error('http/redirect', `reward service ${this.s.url} redirected (HTTP ${res.status}) to another origin, ${next.origin}; the samples were not sent there`, `set url to the service's final address; redirects to another origin are never followed`);
      }
      if (!this.s.followRedirects) {
        throw this.error('http/redirect', `reward service ${this.s.url} redirected (HTTP ${res.status}) to ${next.href}, and followRedirects is false`, 'set url to the final address, or set followRedirects: true to follow redirects within the same origin');
      }
      if (hop >= MAX_REDIRECTS) throw this.error('http/redirect', `reward service ${this.s.url} redirected more than ${MAX_REDIRECTS} times`, 'set url to the final address');
      target = next;
    }
  }

  /** Reads the body, failing as soon as it is longer than maxResponseBytes (checked against Content-Length first). */
  private async readBounded(res: Response): Promise<string> {
    const cap = this.s.maxResponseBytes;
    const tooLarge = (what: string) =>
      this.error('http/too-large', `reward service ${this.s.url} answered ${what}, more than maxResponseBytes (${cap} bytes)`, 'make the service answer only {"scores": [...]}, or raise maxResponseBytes');
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > cap) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(`with Content-Length ${declared}`);
    }
    if (!res.body) return '';
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > cap) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(`a body of more than ${cap} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  }

  private error(code: string, message: string, fix: string): DiagnosticError {
    return new DiagnosticError({ code, message, fix, plugin: PLUGIN, pointer: `${this.pointer}/options/url` }, { exitCode: 1 });
  }
}

function excerpt(text: string, n = 200): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (!t) return '(empty body)';
  return JSON.stringify(t.length > n ? t.slice(0, n) + '…' : t);
}

export const httpReward = definePlugin({
  kind: 'reward',
  name: 'http',
  description: 'Reward from an HTTP service: POST {samples, context} as JSON, expect {scores}; timeouts and 5xx answers are retried with backoff.',
  options: httpRewardOptionsSchema,
  create: ({ options, pointer }) => new HttpReward(options, pointer),
});
