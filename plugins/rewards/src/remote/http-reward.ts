import { DiagnosticError, definePlugin, type RewardContext, type RewardResult, type RewardSample, type RewardSource } from '@rlhfjs/core';
import { httpRewardOptionsSchema, type HttpRewardOptions } from './http.options';

const PLUGIN = 'reward/http';

class Retryable extends Error {}

/**
 * A reward from an HTTP service: POST `{ samples, context }` as JSON, expect `{ scores }` with one
 * number per sample. Timeouts, network errors, 429 and 5xx answers are retried with exponential
 * backoff; other answers fail at once with the status and an excerpt of the body.
 */
export class HttpReward implements RewardSource {
  constructor(
    private readonly s: HttpRewardOptions,
    private readonly pointer = '/rewards',
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

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
      res = await fetch(this.s.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...this.s.headers }, body, signal: combined });
      text = await res.text();
    } catch (err) {
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
      if (typeof v !== 'number' || !Number.isFinite(v)) throw this.error('http/bad-shape', `reward service ${this.s.url} returned ${JSON.stringify(v)} as the score of sample ${i}`, 'every score must be a finite number');
    });
    return { scores: scores as number[] };
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
