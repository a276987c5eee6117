import type * as tfc from '@tensorflow/tfjs-core';
import { DiagnosticError, fitToRoom, type Rng, type Rollout, type SamplingOptions, type TF, type Tokenizer } from '@rlhfjs/core';
import type { LayerCache } from '../model/gpt';
import { sampleToken } from './sample';

export interface GenerateOptions {
  /** Reuse keys/values of earlier positions (default true). Off recomputes the whole sequence each step. */
  useCache?: boolean;
}

const NEG = -1e9;

/** What generation needs of a decoder (the gpt agent's GPTModel and the Hugging Face models alike). */
export interface GenerativeModel {
  readonly tf: TF;
  readonly tokenizer: Tokenizer;
  readonly contextSize: number;
  readonly hasValueHead: boolean;
  readonly config: { readonly vocabSize: number };
  /** Hidden states [B, S, d] of ids at positions under an additive attention bias [B, 1, S, L]; with `cache`, also the keys/values so far. */
  trunk(ids: tfc.Tensor2D, positions: tfc.Tensor2D, bias: tfc.Tensor, cache?: Array<LayerCache | undefined>): { hidden: tfc.Tensor3D; cache?: LayerCache[] };
  logitsFrom(hidden: tfc.Tensor): tfc.Tensor;
  valuesFrom(hidden: tfc.Tensor): tfc.Tensor;
}

/** Check sampling options against a context window; errors name the recipe field. */
export function checkSampling(s: SamplingOptions, contextSize: number): void {
  const bad = (field: string, message: string, fix: string) =>
    new DiagnosticError({ code: 'lm/bad-sampling', message, fix, pointer: `/agent/options/sampling/${field}`, plugin: 'agent/gpt' });
  if (!Number.isInteger(s.maxNewTokens) || s.maxNewTokens < 1) throw bad('maxNewTokens', `maxNewTokens must be a positive integer (got ${s.maxNewTokens})`, 'Set maxNewTokens to 1 or more.');
  if (s.maxNewTokens >= contextSize) {
    throw bad('maxNewTokens', `maxNewTokens (${s.maxNewTokens}) leaves no room for a prompt in a context window of ${contextSize} tokens`, `Set maxNewTokens below ${contextSize}.`);
  }
  if (!(s.temperature > 0) || !Number.isFinite(s.temperature)) throw bad('temperature', `temperature must be a positive number (got ${s.temperature})`, 'Use 1 to sample from the model as it is.');
  if (!Number.isInteger(s.topK) || s.topK < 0) throw bad('topK', `topK must be a non-negative integer (got ${s.topK})`, 'Use 0 to turn top-k off.');
  if (!(s.topP > 0 && s.topP <= 1)) throw bad('topP', `topP must be in (0, 1] (got ${s.topP})`, 'Use 1 to turn nucleus sampling off.');
}

/**
 * A tokenised prompt inside the window that generation leaves: cut from the left with a leading
 * BOS kept (core's `fitToRoom`, the rule of `PolicyModel.encodePrompt`, whose output fits already).
 * An empty prompt becomes `[bos]`.
 */
function promptInRoom(ids: readonly number[], room: number, bosId: number | undefined): number[] {
  if (ids.length === 0) {
    if (bosId === undefined) throw new Error('generate: an empty prompt needs a tokenizer with a BOS token');
    return [bosId];
  }
  return fitToRoom(ids, room, bosId);
}

/**
 * Sample completions for a batch of prompts of different lengths.
 *
 * The batch is left-padded for generation; each row's positions start at 0 at its first real token
 * and padded keys are masked, so every log-prob equals that of `forward()` on the packed,
 * right-padded sequence (`packRollout`). Randomness comes only from `rng`, drawn on the CPU in row
 * order, so a seed gives the same completions on every backend up to float rounding of the logits.
 * Given one stream per row, row b draws only from `rng[b]`.
 */
export async function generate(model: GenerativeModel, prompts: number[][], sampling: SamplingOptions, rng: Rng | readonly Rng[], opts: GenerateOptions = {}): Promise<Rollout> {
  const tf = model.tf;
  const tok = model.tokenizer;
  checkSampling(sampling, model.contextSize);
  // one stream for the batch (drawn in row order), or one per row
  const rows: readonly Rng[] | undefined = Array.isArray(rng) ? rng : undefined;
  if (rows && rows.length !== prompts.length) throw new Error(`generate: ${rows.length} random streams for ${prompts.length} prompts (one per row, or one for the batch)`);
  const single = rng as Rng;
  const useCache = opts.useCache ?? true;
  const B = prompts.length;
  const maxNew = sampling.maxNewTokens;
  const room = model.contextSize - maxNew;
  const promptIds = prompts.map((p) => promptInRoom(p, room, tok.bosId));
  const empty: Rollout = { promptIds, responseIds: promptIds.map(() => []), responseLogprobs: promptIds.map(() => []), prompts: [], completions: [] };
  if (model.hasValueHead) empty.values = promptIds.map(() => []);
  if (B === 0) return empty;

  const P = Math.max(...promptIds.map((p) => p.length));
  const L = P + maxNew;
  const vocab = Math.min(tok.vocabSize, model.config.vocabSize);
  // every row's tokens laid out left-padded on a grid of L columns
  const grid = new Int32Array(B * L).fill(tok.padId);
  const keyMask = new Float32Array(B * L);
  const pos = new Int32Array(B * L);
  promptIds.forEach((p, b) => {
    const off = P - p.length;
    for (let j = 0; j < p.length; j++) {
      grid[b * L + off + j] = p[j];
      keyMask[b * L + off + j] = 1;
      pos[b * L + off + j] = j;
    }
    for (let t = 0; t < maxNew; t++) pos[b * L + P + t] = p.length + t;
  });

  /** Tensors for columns [from, to) of the grid, with the attention bias over keys [0, to). */
  const inputs = (from: number, to: number) => {
    const S = to - from;
    const ids = new Int32Array(B * S);
    const ps = new Int32Array(B * S);
    const bias = new Float32Array(B * S * to);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < S; i++) {
        ids[b * S + i] = grid[b * L + from + i];
        ps[b * S + i] = pos[b * L + from + i];
        const q = from + i;
        for (let j = 0; j < to; j++) bias[(b * S + i) * to + j] = j <= q && keyMask[b * L + j] === 1 ? 0 : NEG;
      }
    }
    return {
      ids: tf.tensor2d(ids, [B, S], 'int32'),
      positions: tf.tensor2d(ps, [B, S], 'int32'),
      bias: tf.tensor4d(bias, [B, 1, S, to], 'float32'),
    };
  };

  const responseIds: number[][] = promptIds.map(() => []);
  const responseLogprobs: number[][] = promptIds.map(() => []);
  const values: number[][] | undefined = model.hasValueHead ? promptIds.map(() => []) : undefined;
  const done = new Array<boolean>(B).fill(false);
  const stops = sampling.stop.filter((s) => s.length > 0);
  let cache: LayerCache[] | undefined;

  const step = (from: number, to: number): { logits: tfc.Tensor2D; values?: tfc.Tensor1D } => {
    const inp = inputs(from, to);
    try {
      const out = tf.tidy(() => {
        const r = model.trunk(inp.ids, inp.positions, inp.bias, useCache ? (cache ?? []) : undefined);
        const S = to - from;
        const last = tf.reshape(tf.slice(r.hidden, [0, S - 1, 0], [B, 1, -1]), [B, -1]);
        const res: { logits: tfc.Tensor2D; values?: tfc.Tensor1D; cache?: LayerCache[] } = { logits: model.logitsFrom(last) as tfc.Tensor2D };
        if (model.hasValueHead) res.values = model.valuesFrom(last) as tfc.Tensor1D;
        if (r.cache) res.cache = r.cache;
        return res as unknown as tfc.TensorContainer;
      }) as unknown as { logits: tfc.Tensor2D; values?: tfc.Tensor1D; cache?: LayerCache[] };
      if (out.cache) {
        cache?.forEach((c) => tf.dispose([c.k, c.v]));
        cache = out.cache;
      }
      return out;
    } finally {
      tf.dispose([inp.ids, inp.positions, inp.bias]);
    }
  };

  try {
    let out = step(0, P);
    for (let t = 0; t < maxNew; t++) {
      const logits = (await out.logits.data()) as Float32Array;
      const vals = out.values ? ((await out.values.data()) as Float32Array) : undefined;
      tf.dispose([out.logits, ...(out.values ? [out.values] : [])]);
      const V = model.config.vocabSize;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const { token, logprob } = sampleToken(logits.subarray(b * V, b * V + V), vocab, sampling, rows ? rows[b] : single);
        responseIds[b].push(token);
        responseLogprobs[b].push(logprob);
        if (values && vals) values[b].push(vals[b]);
        grid[b * L + P + t] = token;
        keyMask[b * L + P + t] = 1;
        if (token === tok.eosId) done[b] = true;
        else if (stops.length > 0) {
          const text = tok.decode(responseIds[b]);
          if (stops.some((s) => text.includes(s))) done[b] = true;
        }
      }
      if (t === maxNew - 1 || done.every(Boolean)) break;
      out = useCache ? step(P + t, P + t + 1) : step(0, P + t + 1);
    }
  } finally {
    cache?.forEach((c) => tf.dispose([c.k, c.v]));
  }

  const stripBos = (p: number[]) => (tok.bosId !== undefined && p[0] === tok.bosId ? p.slice(1) : p);
  const stripEos = (r: number[]) => (r.length > 0 && r[r.length - 1] === tok.eosId ? r.slice(0, -1) : r);
  const rollout: Rollout = {
    promptIds,
    responseIds,
    responseLogprobs,
    prompts: promptIds.map((p) => tok.decode(stripBos(p))),
    completions: responseIds.map((r) => tok.decode(stripEos(r))),
  };
  if (values) rollout.values = values;
  return rollout;
}
