import { definePlugin, DiagnosticError, Tokens, type Agent, type SamplingOptions } from '@rlhfjs/core';
import { checkSampling } from '../generation/generate';
import { loadHF } from '../hf/load';
import { hfAgentOptionsSchema } from './hf.options';
import { hfFootprint } from '../hf/footprint';

const PLUGIN = 'agent/hf-causal-lm';

/**
 * A policy read from a Hugging Face model folder (model_type gpt2, gpt_neo, llama, qwen2), saved
 * back in the same layout (final/ and every checkpoint's policy/), so it loads into transformers
 * with no conversion.
 */
export const hfCausalLmAgent = definePlugin({
  kind: 'agent',
  name: 'hf-causal-lm',
  description: 'A Hugging Face causal language model (gpt2, distilgpt2, gpt_neo, llama, SmolLM2, qwen2) from its model folder, with KV-cache sampling; saved back in the same layout.',
  options: hfAgentOptionsSchema,
  create(ctx): Agent {
    const { options: o, container, pointer } = ctx;
    const { tf } = container.resolve(Tokens.Runtime);
    const rng = container.resolve(Tokens.Rng);
    const sampling: SamplingOptions = { ...o.sampling, stop: [...o.sampling.stop] };
    if (o.path === undefined) {
      throw new DiagnosticError({ code: 'lm/agent-source', message: 'the hf-causal-lm agent needs `path`, a Hugging Face model folder', pointer: `${pointer}/options`, plugin: PLUGIN, fix: 'Set path: <folder with config.json, tokenizer.json and model.safetensors>.' });
    }
    const dir = ctx.resolvePath(o.path);
    let policy;
    try {
      const lora = o.lora && {
        settings: { rank: o.lora.rank, alpha: o.lora.alpha, dropout: o.lora.dropout, targetModules: [...o.lora.targetModules] },
        from: o.lora.from === undefined ? undefined : ctx.resolvePath(o.lora.from),
        // A is drawn from the run's stream "lora", as the gpt agent draws it
        rng: rng.fork('lora'),
        pointer: `${pointer}/options/lora`,
        plugin: PLUGIN,
      };
      policy = loadHF(dir, tf, { valueHead: o.valueHead, rng: rng.fork('value-head'), fullVocabulary: o.fullVocabulary, saveDtype: o.saveDtype, lora });
    } catch (e) {
      if (DiagnosticError.is(e)) {
        for (const d of e.diagnostics) {
          d.pointer ??= `${pointer}/options/path`;
          d.plugin ??= PLUGIN;
        }
      }
      throw e;
    }
    try {
      checkSampling(sampling, policy.contextSize);
    } catch (e) {
      policy.dispose();
      if (DiagnosticError.is(e)) for (const d of e.diagnostics) {
        d.pointer = d.pointer?.replace('/agent', pointer);
        d.plugin = PLUGIN;
      }
      throw e;
    }
    if (o.suppressEos) policy.suppressTokens([policy.tokenizer.eosId]);
    return { policy, sampling, source: dir };
  },
  /** The agent from a model folder: `path` set to it, the other options as given. */
  fromCheckpoint(ctx, dir): Agent {
    return this.create({ ...ctx, options: { ...ctx.options, path: dir } }) as Agent;
  },
  /** The model's size for the memory plan, from config.json (no weights loaded). */
  footprint(ctx) {
    return hfFootprint(ctx.options, ctx.resolvePath);
  },
  /** The bare model of a folder, e.g. as a reward model's backbone; with `adapter`, that LoRA adapter on it. */
  loadModel(dir, opts, container) {
    const { tf } = container.resolve(Tokens.Runtime);
    return loadHF(dir, tf, { valueHead: opts.valueHead, rng: opts.rng, trainable: opts.trainable, adapter: opts.adapter });
  },
});
