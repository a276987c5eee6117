import { DiagnosticError, type Tokenizer } from '@rlhfjs/core';
import type { PreferencePair } from './pairs-file';

export interface EncodedPair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  /** Whether either row had to be cut to fit the context window. */
  truncated: boolean;
  where: string;
}

/**
 * Tokenise a pair the way generation sees it: BOS (when the tokenizer has one) + prompt, then the
 * completion, with EOS appended when `appendEos` (a finished completion ends with EOS). A row
 * longer than the context window keeps its completion (cut at the end when it alone is too long)
 * and loses the start of its prompt, BOS kept.
 */
export function encodePair(tok: Tokenizer, pair: PreferencePair, contextSize: number, appendEos: boolean): EncodedPair {
  const head = tok.bosId !== undefined ? [tok.bosId] : [];
  const prompt = head.concat(tok.encode(pair.prompt));
  if (prompt.length === 0) {
    const m = /^(.*):(\d+)$/.exec(pair.where);
    throw new DiagnosticError({
      code: 'data/empty-prompt',
      message: `${pair.where}: the prompt is empty and the tokenizer has no BOS token, so there is no context to score the completions from`,
      fix: 'give the pair a non-empty prompt',
      file: m ? m[1] : pair.where,
      line: m ? Number(m[2]) : undefined,
      plugin: 'algorithm/dpo',
    });
  }
  const enc = (s: string) => tok.encode(s).concat(appendEos ? [tok.eosId] : []);
  let truncated = false;
  const fit = (resp: number[]): [number[], number[]] => {
    let r = resp;
    if (r.length > contextSize - 1) {
      r = r.slice(0, contextSize - 1);
      truncated = true;
    }
    let p = prompt;
    if (p.length + r.length > contextSize) {
      const keep = contextSize - r.length;
      p = head.length && keep > 1 ? head.concat(p.slice(p.length - (keep - 1))) : p.slice(p.length - keep);
      truncated = true;
    }
    return [p, r];
  };
  const [pc, chosen] = fit(enc(pair.chosen));
  const [pr, rejected] = fit(enc(pair.rejected));
  // both rows share the prompt they keep (the shorter cut), so the comparison is on equal context
  const promptKept = pc.length <= pr.length ? pc : pr;
  return { prompt: promptKept, chosen, rejected, truncated, where: pair.where };
}
