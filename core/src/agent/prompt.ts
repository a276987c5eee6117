import type { EncodedPrompt, Tokenizer } from '../contract/agent';

/**
 * Cut token ids to at most `room` tokens from the left, keeping a leading BOS: when `ids` starts
 * with `bosId`, the result is BOS followed by the last `room - 1` ids; otherwise the last `room` ids.
 */
export function fitToRoom(ids: readonly number[], room: number, bosId: number | undefined): number[] {
  if (!Number.isInteger(room) || room < 1) throw new Error(`fitToRoom: room must be a positive integer (got ${room})`);
  if (ids.length <= room) return [...ids];
  const keep = bosId !== undefined && ids[0] === bosId ? 1 : 0;
  return [...ids.slice(0, keep), ...ids.slice(ids.length - (room - keep))];
}

/**
 * The encoding rule of {@link PolicyModel.encodePrompt} for a tokenizer: BOS (when it has one), the
 * prompt's tokens, then the continuation's (a string is encoded, ids are taken as they are), cut from
 * the left to `room` tokens with BOS kept ({@link fitToRoom}).
 */
export function encodePromptWith(tok: Tokenizer, prompt: string, room: number, continuation?: string | readonly number[]): EncodedPrompt {
  const head = tok.bosId !== undefined ? [tok.bosId] : [];
  const p = head.concat(tok.encode(prompt));
  const c = continuation === undefined ? [] : typeof continuation === 'string' ? tok.encode(continuation) : [...continuation];
  const all = p.concat(c);
  if (all.length <= room) return { ids: all, promptLength: p.length, truncated: false };
  const ids = fitToRoom(all, room, tok.bosId);
  // the cut tokens come right after BOS: first the prompt's, then the continuation's
  const cut = all.length - ids.length;
  return { ids, promptLength: head.length + Math.max(0, p.length - head.length - cut), truncated: true };
}
