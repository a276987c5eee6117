/**
 * Training rows for language-model pretraining: sentences are tokenised and packed, GPT-2 style,
 * into rows of at most `length` tokens, each row starting at a sentence start with the end-of-text
 * token (which is also BOS) and sentences separated by it: `<eot> s₁ <eot> s₂ <eot> …`. Rows are
 * right-padded; the mask marks real tokens. A sentence longer than a row is cut.
 */
export interface PackedRows {
  /** Row-major [rows, length] token ids. */
  ids: Int32Array;
  /** Row-major [rows, length]: 1 for real tokens. */
  mask: Float32Array;
  rows: number;
  length: number;
  /** Real tokens that are scored (every real token after the first of a row). */
  targets: number;
}

export function packSentences(tokenised: readonly (readonly number[])[], length: number, eot: number, padId: number): PackedRows {
  if (length < 3) throw new Error('packSentences: rows need at least 3 tokens');
  const rows: number[][] = [];
  let cur: number[] = [];
  for (const s of tokenised) {
    if (s.length === 0) continue;
    const piece = [eot, ...s.slice(0, length - 2)];
    if (cur.length + piece.length + 1 > length && cur.length > 0) {
      rows.push(cur);
      cur = [];
    }
    cur.push(...piece);
  }
  if (cur.length > 0) rows.push(cur);
  const ids = new Int32Array(rows.length * length).fill(padId);
  const mask = new Float32Array(rows.length * length);
  let targets = 0;
  rows.forEach((r, i) => {
    // close the row with end-of-text when there is room, so the model learns where sentences end
    const row = r.length < length ? [...r, eot] : r;
    for (let t = 0; t < row.length; t++) {
      ids[i * length + t] = row[t];
      mask[i * length + t] = 1;
    }
    targets += row.length - 1;
  });
  return { ids, mask, rows: rows.length, length, targets };
}
