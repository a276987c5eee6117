import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { PolicyModel, Rollout, SequenceBatch } from '../contract/agent';
import type { TF } from '../contract/tensor-runtime';

/**
 * Prompt + response rows packed for a training forward pass.
 *
 * Row b is `promptIds[b] ++ responseIds[b]`, left-aligned and right-padded with `padId` to T
 * tokens (positions therefore count from 0 at the first prompt token, as in generation).
 * `logprobs[b, t]` of a forward pass scores token t+1, so response token j of row b sits at
 * column `P_b - 1 + j`, where P_b is the prompt length.
 */
export interface PackedRollout {
  batch: SequenceBatch;
  /** float32 [B, T-1]: 1 at the columns that score a response token. */
  responseMask: Tensor2D;
  /** Column of the first response token per row (P_b - 1). */
  responseStart: number[];
  /** Response length per row. */
  responseLength: number[];
  /** T, the padded sequence length. */
  length: number;
}

export function packRollout(tf: TF, rollout: Pick<Rollout, 'promptIds' | 'responseIds'>, padId: number, rows?: readonly number[]): PackedRollout {
  const idx = rows ?? rollout.promptIds.map((_, i) => i);
  const B = idx.length;
  const lengths = idx.map((i) => rollout.promptIds[i].length + rollout.responseIds[i].length);
  const T = Math.max(2, ...lengths);
  const ids = new Int32Array(B * T).fill(padId);
  const attn = new Float32Array(B * T);
  const mask = new Float32Array(B * (T - 1));
  const responseStart: number[] = [];
  const responseLength: number[] = [];
  idx.forEach((i, b) => {
    const p = rollout.promptIds[i];
    const r = rollout.responseIds[i];
    if (p.length === 0) throw new Error(`packRollout: row ${i} has an empty prompt (a prompt needs at least one token, e.g. BOS)`);
    const seq = p.concat(r);
    for (let t = 0; t < seq.length; t++) {
      ids[b * T + t] = seq[t];
      attn[b * T + t] = 1;
    }
    const start = p.length - 1;
    for (let j = 0; j < r.length; j++) mask[b * (T - 1) + start + j] = 1;
    responseStart.push(start);
    responseLength.push(r.length);
  });
  return {
    batch: { ids: tf.tensor2d(ids, [B, T], 'int32'), attentionMask: tf.tensor2d(attn, [B, T], 'float32') },
    responseMask: tf.tensor2d(mask, [B, T - 1], 'float32'),
    responseStart,
    responseLength,
    length: T,
  };
}

/** Cut the response columns out of a [B, T-1] matrix (as nested arrays), one ragged row per sample. */
export function responseColumns(matrix: number[][], packed: Pick<PackedRollout, 'responseStart' | 'responseLength'>): number[][] {
  return matrix.map((row, b) => row.slice(packed.responseStart[b], packed.responseStart[b] + packed.responseLength[b]));
}

/** Lay ragged per-response-token rows back into a dense [B, T-1] array (zeros elsewhere). */
export function toColumns(ragged: number[][], packed: Pick<PackedRollout, 'responseStart' | 'responseLength' | 'length'>): Float32Array {
  const W = packed.length - 1;
  const out = new Float32Array(ragged.length * W);
  ragged.forEach((row, b) => {
    for (let j = 0; j < packed.responseLength[b]; j++) out[b * W + packed.responseStart[b] + j] = row[j] ?? 0;
  });
  return out;
}

export function disposePacked(p: PackedRollout): void {
  p.batch.ids.dispose();
  p.batch.attentionMask.dispose();
  p.responseMask.dispose();
}

/**
 * A model's log-probs (and, with `values`, its value head) of each completion's tokens: the rollout
 * (or its `rows`) packed as for training (`packRollout`), one no-gradient forward pass over them,
 * the response columns read back.
 */
export async function responseForward(tf: TF, model: PolicyModel, rollout: Pick<Rollout, 'promptIds' | 'responseIds'>, padId: number, want: { values?: boolean } = {}, rows?: readonly number[]): Promise<{ logprobs: number[][]; values?: number[][] }> {
  const packed = packRollout(tf, rollout, padId, rows);
  try {
    const out = tf.tidy(() => {
      const o = model.forward(packed.batch, { values: want.values });
      return o.values ? [o.logprobs, o.values] : [o.logprobs];
    });
    try {
      const logprobs = responseColumns((await out[0].array()) as number[][], packed);
      return out[1] ? { logprobs, values: responseColumns((await out[1].array()) as number[][], packed) } : { logprobs };
    } finally {
      tf.dispose(out);
    }
  } finally {
    disposePacked(packed);
  }
}

/** The reference model's log-probs of each completion's tokens ({@link responseForward}). */
export async function referenceLogprobs(tf: TF, reference: PolicyModel, rollout: Pick<Rollout, 'promptIds' | 'responseIds'>, padId: number): Promise<number[][]> {
  return (await responseForward(tf, reference, rollout, padId)).logprobs;
}
