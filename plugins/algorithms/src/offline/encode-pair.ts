import { DiagnosticError, type PolicyModel } from '@rlhfjs/core';
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
 * Tokenise a pair the way generation sees it, through the policy's `encodePrompt` (BOS when the
 * tokenizer has one, the prompt, then the completion; cut from the left with BOS kept), with EOS
 * appended to each completion when `appendEos` (a finished completion ends with EOS). A row longer
 * than the context window keeps its completion (cut at the end when it alone fills all but one
 * token) and loses the start of its prompt, BOS kept.
 */
export function encodePair(policy: Pick<PolicyModel, 'tokenizer' | 'contextSize' | 'encodePrompt'>, pair: PreferencePair, appendEos: boolean): EncodedPair {
  const tok = policy.tokenizer;
  const room = policy.contextSize;
  const enc = (s: string) => tok.encode(s).concat(appendEos ? [tok.eosId] : []);
  let truncated = false;
  const fit = (resp: number[]): [number[], number[]] => {
    let r = resp;
    // one token of context (BOS, or the prompt's last token) is needed to score the first completion token
    if (r.length > room - 1) {
      r = r.slice(0, room - 1);
      truncated = true;
    }
    const e = policy.encodePrompt(pair.prompt, room, r);
    if (e.promptLength === 0) {
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
    if (e.truncated) truncated = true;
    return [e.ids.slice(0, e.promptLength), e.ids.slice(e.promptLength)];
  };
  const [pc, chosen] = fit(enc(pair.chosen));
  const [pr, rejected] = fit(enc(pair.rejected));
  // both rows share the prompt they keep (the shorter cut), so the comparison is on equal context
  const promptKept = pc.length <= pr.length ? pc : pr;
  return { prompt: promptKept, chosen, rejected, truncated, where: pair.where };
}
