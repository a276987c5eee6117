import type { Agent, PolicyModel } from '../contract/agent';
import type { Prompt } from '../contract/environment';
import type { Scorer } from '../contract/reward';
import type { TF } from '../contract/tensor-runtime';
import { Rng } from '../runtime/rng';
import { disposePacked, packRollout, responseColumns } from '../runner/pack';
import type { EvalResultRow } from '../report/report';
import { wilsonInterval } from './stats';

export interface EvalOptions {
  /** Completions generated per batch. */
  batchSize: number;
  seed: number;
}

export interface ModelCompletions {
  prompts: Prompt[];
  completions: string[];
  /** Σ_t log π(a_t) − log π_base(a_t) per completion (k1 estimate of KL to the base, in nats). */
  klToBase: number[];
}

/** Generate one completion per prompt with the agent's sampling settings; score KL against the base. */
export async function generateForEval(tf: TF, agent: Agent, base: PolicyModel, prompts: Prompt[], opts: EvalOptions): Promise<ModelCompletions> {
  const rng = new Rng(opts.seed).fork('eval');
  const completions: string[] = [];
  const kl: number[] = [];
  for (let i = 0; i < prompts.length; i += opts.batchSize) {
    const batch = prompts.slice(i, i + opts.batchSize);
    const room = Math.max(1, agent.policy.contextSize - agent.sampling.maxNewTokens);
    const ids = batch.map((p) => agent.policy.encodePrompt(p.text, room).ids);
    const rollout = await agent.policy.generate(ids, agent.sampling, rng);
    completions.push(...rollout.completions);
    const packed = packRollout(tf, rollout, agent.policy.tokenizer.padId);
    try {
      const lp = tf.tidy(() => base.forward(packed.batch).logprobs);
      const baseLp = responseColumns((await lp.array()) as number[][], packed);
      lp.dispose();
      rollout.responseLogprobs.forEach((row, b) => kl.push(row.reduce((acc, v, t) => acc + v - baseLp[b][t], 0)));
    } finally {
      disposePacked(packed);
    }
  }
  return { prompts, completions, klToBase: kl };
}

/** Held-out perplexity of a policy on texts: exp(mean negative log-likelihood per token). */
export async function perplexity(tf: TF, policy: PolicyModel, texts: string[], batchSize: number): Promise<number> {
  const tok = policy.tokenizer;
  let nll = 0;
  let count = 0;
  for (let i = 0; i < texts.length; i += batchSize) {
    const rows = texts.slice(i, i + batchSize).map((t) => tok.encode(t).slice(0, policy.contextSize - 1)).filter((r) => r.length > 0);
    if (!rows.length) continue;
    const start = tok.bosId ?? tok.eosId;
    const packed = packRollout(tf, { promptIds: rows.map(() => [start]), responseIds: rows }, tok.padId);
    try {
      const lp = tf.tidy(() => policy.forward(packed.batch).logprobs);
      const cols = responseColumns((await lp.array()) as number[][], packed);
      lp.dispose();
      for (const r of cols) for (const v of r) {
        nll -= v;
        count += 1;
      }
    } finally {
      disposePacked(packed);
    }
  }
  return Math.exp(nll / Math.max(1, count));
}

/** Score completions with every scorer: mean score, and for flagging scorers the rate with its 95% CI. */
export async function scoreForEval(scorers: Scorer[], gen: ModelCompletions, perSample?: Array<Record<string, unknown>>): Promise<EvalResultRow['scorers']> {
  const out: EvalResultRow['scorers'] = {};
  const samples = gen.completions.map((completion, i) => ({ prompt: gen.prompts[i].text, completion, promptId: gen.prompts[i].id }));
  for (const s of scorers) {
    const res = await s.score(samples);
    if (perSample) res.scores.forEach((v, i) => (perSample[i][s.name] = res.flags ? res.flags[i] : v));
    const mean = res.scores.reduce((a, b) => a + b, 0) / Math.max(1, res.scores.length);
    if (res.flags) {
      const flagged = res.flags.filter(Boolean).length;
      const ci = wilsonInterval(flagged, res.flags.length);
      out[s.name] = { mean, flagged, rate: ci.rate, ciLow: ci.low, ciHigh: ci.high };
    } else out[s.name] = { mean };
  }
  return out;
}
