import { isDeepStrictEqual } from 'node:util';
import type { PluginKind } from '../plugin/kinds';
import type { TensorRuntime } from '../contract/tensor-runtime';
import type { RewardSample } from '../contract/reward';
import { Rng } from '../runtime/rng';

/** Samples the kit scores: plain, empty and non-ASCII completions. */
export const SAMPLE_BATCH: RewardSample[] = [
  { prompt: 'The weather today is', completion: ' sunny and mild.', promptId: 'kit:0' },
  { prompt: 'My favourite fruit is', completion: '', promptId: 'kit:1' },
  { prompt: 'Café au lait', completion: ' — très bon ☕', promptId: 'kit:2' },
];

/** How long one call into a plugin may take before the kit reports it as hanging. */
export const CALL_TIMEOUT_MS = 20_000;

type Obj = Record<string, unknown>;

async function within<T>(what: string, p: Promise<T> | T, ms = CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(p),
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s (if it waits for a person or a server, exercise it in your own tests and list it in skipCreate)`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

const isFn = (o: Obj, k: string): boolean => typeof o[k] === 'function';
const finite = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
const jsonRoundTrips = (v: unknown): boolean => {
  try {
    return isDeepStrictEqual(JSON.parse(JSON.stringify(v)), v);
  } catch {
    return false;
  }
};

/**
 * Exercise what a factory built against its kind's interface (core/src/contract). Methods that
 * only read or write plain data are called; methods that train (algorithm.update, job.run) are
 * only checked to exist. Returns problems; an empty list means the object honours the contract.
 */
export async function checkContract(kind: PluginKind, id: string, built: unknown, env: { tmp: string; runtime: TensorRuntime }): Promise<string[]> {
  const problems: string[] = [];
  const bad = (m: string): void => void problems.push(`${id}: ${m}`);
  if (!built || typeof built !== 'object') return [`${id}: the factory returned ${built === null ? 'null' : typeof built}, not an object implementing ${kind}`];
  const o = built as Obj;
  const call = async <T>(what: string, f: () => Promise<T> | T): Promise<T | undefined> => {
    try {
      return await within(`${id}: ${what}`, f());
    } catch (err) {
      bad(`${what} threw: ${(err as Error).message}`);
      return undefined;
    }
  };

  switch (kind) {
    case 'reward': {
      if (!isFn(o, 'score')) return [`${id}: a reward needs score(samples, ctx)`];
      const controller = new AbortController();
      const res = (await call('score(3 samples)', () => (o.score as Function).call(o, SAMPLE_BATCH, { step: 0, model: 'conformance', signal: controller.signal }))) as { scores?: unknown; details?: unknown } | undefined;
      if (res !== undefined) {
        if (!Array.isArray(res?.scores) || res.scores.length !== SAMPLE_BATCH.length) bad(`score() must return { scores } with one number per sample (3), got ${JSON.stringify(res?.scores)}`);
        else if (!res.scores.every(finite)) bad(`every score must be a finite number, got ${JSON.stringify(res.scores)}`);
        if (res?.details !== undefined) {
          for (const [k, v] of Object.entries(res.details as Obj)) if (!Array.isArray(v) || v.length !== SAMPLE_BATCH.length) bad(`details.${k} must have one entry per sample`);
        }
      }
      const empty = (await call('score([])', () => (o.score as Function).call(o, [], { step: 0 }))) as { scores?: unknown[] } | undefined;
      if (empty !== undefined && (!Array.isArray(empty?.scores) || empty.scores.length !== 0)) bad('score([]) must return { scores: [] }');
      controller.abort();
      if (o.close !== undefined) await call('close()', () => (o.close as Function).call(o));
      break;
    }
    case 'scorer': {
      if (typeof o.name !== 'string' || !o.name) bad('a scorer needs a name (string), used as the column of evaluation tables');
      if (!isFn(o, 'score')) return [...problems, `${id}: a scorer needs score(samples)`];
      const res = (await call('score(3 samples)', () => (o.score as Function).call(o, SAMPLE_BATCH))) as { scores?: unknown; flags?: unknown } | undefined;
      if (res !== undefined) {
        if (!Array.isArray(res?.scores) || res.scores.length !== SAMPLE_BATCH.length || !res.scores.every(finite)) bad(`score() must return { scores } with one finite number per sample, got ${JSON.stringify(res?.scores)}`);
        if (res?.flags !== undefined && (!Array.isArray(res.flags) || res.flags.length !== SAMPLE_BATCH.length || !res.flags.every((f) => typeof f === 'boolean'))) bad(`flags must be one boolean per sample, got ${JSON.stringify(res.flags)}`);
      }
      break;
    }
    case 'kl-controller': {
      for (const k of ['update', 'getState', 'setState']) if (!isFn(o, k)) bad(`a KL controller needs ${k}()`);
      if (problems.length) return problems;
      const v0 = o.value;
      if (!finite(v0) || (v0 as number) < 0) return [`${id}: value (β) must be a finite number ≥ 0, got ${String(v0)}`];
      const s0 = (await call('getState()', () => (o.getState as Function).call(o))) as Obj | undefined;
      if (s0 === undefined) break;
      if (s0?.value !== v0) bad(`getState().value (${String(s0?.value)}) must equal value (${String(v0)})`);
      if (!jsonRoundTrips(s0)) bad('getState() must be plain JSON (it is stored in checkpoints)');
      const saved = structuredClone(s0);
      await call('update(2.5, 8)', () => (o.update as Function).call(o, 2.5, 8));
      await call('update(0, 8)', () => (o.update as Function).call(o, 0, 8));
      if (!finite(o.value) || (o.value as number) < 0) bad(`after update(), value must stay a finite number ≥ 0, got ${String(o.value)}`);
      await call('setState(saved)', () => (o.setState as Function).call(o, saved));
      if (o.value !== v0) bad(`setState(getState()) must restore value: expected ${String(v0)}, got ${String(o.value)}`);
      break;
    }
    case 'logger': {
      if (!isFn(o, 'log')) return [`${id}: a logger needs log(step, metrics)`];
      for (const k of ['start', 'event', 'close']) if (o[k] !== undefined && !isFn(o, k)) bad(`${k}, when present, must be a function`);
      if (isFn(o, 'start')) await call('start()', () => (o.start as Function).call(o, { runDir: env.tmp, totalSteps: 2, startStep: 0 }));
      await call('log(0, metrics)', () => (o.log as Function).call(o, 0, { 'reward/mean': 0.5, 'kl/mean': 0.01, 'loss/policy': -0.2 }));
      await call('log(1, metrics with NaN)', () => (o.log as Function).call(o, 1, { 'reward/mean': 0.75, 'kl/mean': Number.NaN, 'loss/policy': -0.1 }));
      if (isFn(o, 'event')) await call("event('checkpoint')", () => (o.event as Function).call(o, 'checkpoint', { step: 2, dir: env.tmp }));
      if (isFn(o, 'close')) await call('close()', () => (o.close as Function).call(o));
      break;
    }
    case 'environment': {
      for (const k of ['nextBatch', 'heldOut', 'getState', 'setState']) if (!isFn(o, k)) bad(`an environment needs ${k}()`);
      if (problems.length) return problems;
      if (!Number.isInteger(o.size) || (o.size as number) < 1) bad(`size must be a positive integer (training prompts available), got ${String(o.size)}`);
      const state = await call('getState()', () => (o.getState as Function).call(o));
      if (!jsonRoundTrips(state)) bad('getState() must be plain JSON (it is stored in checkpoints)');
      const a = (await call('nextBatch(3, rng)', () => (o.nextBatch as Function).call(o, 3, new Rng(7)))) as Array<{ id?: unknown; text?: unknown }> | undefined;
      if (a === undefined) break;
      if (!Array.isArray(a) || a.length !== 3) bad(`nextBatch(3) must return 3 prompts (wrapping into a new epoch when needed), got ${Array.isArray(a) ? a.length : typeof a}`);
      else if (!a.every((p) => typeof p?.id === 'string' && typeof p?.text === 'string')) bad('each prompt needs a string id and a string text');
      await call('setState(saved)', () => (o.setState as Function).call(o, structuredClone(state)));
      const b = (await call('nextBatch(3, same seed)', () => (o.nextBatch as Function).call(o, 3, new Rng(7)))) as Array<{ id?: unknown }> | undefined;
      if (Array.isArray(a) && Array.isArray(b) && !isDeepStrictEqual(a.map((p) => p.id), b.map((p) => p.id))) bad('after setState(getState()), the same seed must give the same prompts (a resumed run must see the same data)');
      const held = await call('heldOut(2)', () => (o.heldOut as Function).call(o, 2));
      if (held !== undefined && (!Array.isArray(held) || held.length > 2)) bad('heldOut(2) must return at most 2 prompts');
      break;
    }
    case 'agent': {
      const policy = o.policy as Obj | undefined;
      const sampling = o.sampling as Obj | undefined;
      if (!policy || typeof policy !== 'object') return [`${id}: an agent needs a policy (PolicyModel)`];
      for (const k of ['encodePrompt', 'generate', 'forward', 'trainableVariables', 'frozenCopy', 'save', 'namedWeights', 'loadNamedWeights', 'dispose']) if (!isFn(policy, k)) bad(`policy.${k}() is missing`);
      if (!Number.isInteger(policy.contextSize) || (policy.contextSize as number) < 2) bad(`policy.contextSize must be an integer ≥ 2, got ${String(policy.contextSize)}`);
      if (typeof policy.hasValueHead !== 'boolean') bad('policy.hasValueHead must be a boolean');
      const tok = policy.tokenizer as Obj | undefined;
      if (!tok || !isFn(tok, 'encode') || !isFn(tok, 'decode')) bad('policy.tokenizer needs encode() and decode()');
      else {
        const text = 'hello world';
        const ids = (tok.encode as Function).call(tok, text) as number[];
        if (!Array.isArray(ids) || !ids.every((t) => Number.isInteger(t) && t >= 0 && t < (tok.vocabSize as number))) bad('tokenizer.encode must return integer ids below vocabSize');
        else if ((tok.decode as Function).call(tok, ids) !== text) bad(`tokenizer.decode(encode("${text}")) must give the text back`);
        else if (isFn(policy, 'encodePrompt') && ids.length > 1) {
          // a prompt longer than its room keeps BOS and loses tokens from the left
          const room = ids.length; // BOS (if any) + all but the first token
          const enc = (policy.encodePrompt as Function).call(policy, text, room) as { ids?: unknown };
          const bos = tok.bosId as number | undefined;
          const want = bos !== undefined ? [bos, ...ids.slice(1)] : ids;
          if (!isDeepStrictEqual(enc?.ids, want)) bad(`policy.encodePrompt("${text}", ${room}).ids must be ${JSON.stringify(want)} (BOS kept, cut from the left), got ${JSON.stringify(enc?.ids)}`);
        }
      }
      if (!sampling || !Number.isInteger(sampling.maxNewTokens) || !finite(sampling.temperature)) bad('sampling needs maxNewTokens (integer) and temperature');
      if (typeof o.source !== 'string') bad('source (where the policy came from) must be a string');
      if (isFn(policy, 'dispose')) (policy.dispose as Function).call(policy);
      break;
    }
    case 'algorithm': {
      if (o.mode !== 'online' && o.mode !== 'offline') return [`${id}: mode must be "online" or "offline", got ${JSON.stringify(o.mode)}`];
      for (const k of ['saveState', 'loadState']) if (!isFn(o, k)) bad(`an algorithm needs ${k}(dir) (checkpoints)`);
      if (o.mode === 'online') {
        const b = o.batch as Obj | undefined;
        if (!b || !Number.isInteger(b.promptsPerIteration) || (b.promptsPerIteration as number) < 1 || !Number.isInteger(b.samplesPerPrompt) || (b.samplesPerPrompt as number) < 1) bad('batch needs promptsPerIteration and samplesPerPrompt, positive integers');
        if (!isFn(o, 'update')) bad('an online algorithm needs update(experience)');
      } else if (!isFn(o, 'step')) bad('an offline algorithm needs step(iteration)');
      break;
    }
    case 'job': {
      if (!isFn(o, 'run')) bad('a job needs run(ctx)');
      if (!isFn(o, 'saveCheckpoint') || !isFn(o, 'loadCheckpoint')) bad('a job owns its checkpoint: it needs saveCheckpoint(dir, step) and loadCheckpoint(dir, step), so that --resume can continue it');
      break;
    }
  }
  void env.runtime;
  return problems;
}
