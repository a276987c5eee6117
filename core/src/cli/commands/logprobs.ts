import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { DiagnosticError } from '../../diagnostics';
import type { BackendChoice } from '../../contract/tensor-runtime';
import type { SequenceBatch } from '../../contract/agent';
import { agentAndRuntimeFromCheckpoint } from './generate';

/**
 * `rlhf logprobs <checkpoint> --text "…"`: the tokens the policy conditions on for the text (BOS when
 * its tokenizer has one, then the text's tokens, the encoding of `PolicyModel.encodePrompt`) and each
 * token's log-probability log π(token | tokens before it), printed as one JSON object. The first
 * token has no log-prob (null).
 */
export function registerLogprobs(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'logprobs <checkpoint>',
    "print a text's tokens and each token's log-probability under a checkpoint's policy (JSON)",
    (y) =>
      y
        .positional('checkpoint', { type: 'string', demandOption: true })
        .option('text', { alias: 't', type: 'string', array: true, describe: 'a text to score (repeatable)' })
        .option('backend', { choices: ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'], default: 'wasm' }),
    async (a) => {
      const texts = (a.text as string[] | undefined) ?? [];
      if (!texts.length) throw new DiagnosticError({ code: 'cli/usage', message: 'no text given', fix: 'pass --text "some text" (repeatable)' });
      const { agent, runtime } = await agentAndRuntimeFromCheckpoint(h.abs(a.checkpoint as string), { backend: a.backend as BackendChoice, seed: 0, cwd: h.io.cwd });
      const { policy } = agent;
      const { tf } = runtime;
      try {
        for (const text of texts) {
          const enc = policy.encodePrompt(text, policy.contextSize);
          const ids = enc.ids;
          let lps: number[] = [];
          if (ids.length >= 2) {
            const batch = { ids: tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32'), attentionMask: tf.ones([1, ids.length], 'float32') };
            const lp = tf.tidy(() => policy.forward(batch as SequenceBatch).logprobs);
            lps = ((await lp.array()) as number[][])[0];
            tf.dispose([lp, batch.ids, batch.attentionMask]);
          }
          const tokens = ids.map((id, i) => ({ id, text: policy.tokenizer.decode([id]), logprob: i === 0 ? null : lps[i - 1] }));
          const total = lps.reduce((x, y) => x + y, 0);
          h.out(JSON.stringify({ text, truncated: enc.truncated, tokens, total, mean: lps.length ? total / lps.length : null }));
        }
      } finally {
        policy.dispose();
      }
    },
  );
}
