import * as fs from 'node:fs';
import { definePlugin, DiagnosticError, Rng, Tokens, type Agent, type SamplingOptions } from '@rlhfjs/core';
import { loadCorpus } from '../corpus/load';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { HfTokenizer, loadHfTokenizer } from '../tokenizer/hf-tokenizer';
import { validateConfig } from '../model/config';
import { GPTModel, gptLoraModules } from '../model/gpt';
import { initWeights } from '../model/init';
import { loadPolicy, type LoraLoadOptions } from '../model/checkpoint-io';
import { gptFootprint } from '../model/footprint';
import { checkSampling } from '../generation/generate';
import { gptAgentOptionsSchema, type GPTAgentOptions } from './gpt.options';
import { LoraAdapters } from '../lora/adapters';
import { readAdapter } from '../lora/peft-format';

const PLUGIN = 'agent/gpt';

export const gptAgent = definePlugin({
  kind: 'agent',
  name: 'gpt',
  description: 'A GPT-style policy language model on tfjs (from a checkpoint directory or a seeded random init), with KV-cache sampling.',
  options: gptAgentOptionsSchema,
  create(ctx): Agent {
    const { options: o, container, pointer } = ctx;
    const { tf } = container.resolve(Tokens.Runtime);
    const rng = container.resolve(Tokens.Rng);
    const sampling: SamplingOptions = { ...o.sampling, stop: [...o.sampling.stop] };
    if ((o.checkpoint === undefined) === (o.init === undefined)) {
      throw new DiagnosticError({
        code: 'lm/agent-source',
        message: o.checkpoint === undefined ? 'the gpt agent needs either `checkpoint` or `init`' : 'the gpt agent takes `checkpoint` or `init`, not both',
        pointer: `${pointer}/options`,
        plugin: PLUGIN,
        fix: 'Set checkpoint: <dir> to start from a trained model (e.g. models/base), or init: {...} for a random one.',
      });
    }
    if (o.checkpoint !== undefined) {
      const dir = ctx.resolvePath(o.checkpoint);
      const policy = wrap(() => loadPolicy(dir, tf, { valueHead: o.valueHead, rng: rng.fork('value-head'), lora: loraOptions(o, rng, pointer, ctx.resolvePath) }), `${pointer}/options/checkpoint`);
      checkSamplingAt(sampling, policy.contextSize, pointer);
      if (o.suppressEos) policy.suppressTokens([policy.tokenizer.eosId]);
      return { policy, sampling, source: dir };
    }
    const init = o.init!;
    const t = init.tokenizer;
    let tokenizer: ByteBPETokenizer | HfTokenizer;
    if ((t.file === undefined) === (t.corpus === undefined)) {
      throw new DiagnosticError({ code: 'lm/agent-tokenizer', message: 'init.tokenizer needs exactly one of `file` or `corpus`', pointer: `${pointer}/options/init/tokenizer`, plugin: PLUGIN, fix: 'Point `file` at a tokenizer.json, or give a `corpus` spec to train one.' });
    }
    if (t.file !== undefined) {
      const file = ctx.resolvePath(t.file);
      if (!fs.existsSync(file)) throw new DiagnosticError({ code: 'lm/missing-tokenizer', message: `tokenizer file ${file} does not exist`, file, pointer: `${pointer}/options/init/tokenizer/file`, plugin: PLUGIN, fix: 'Check the path (relative to the recipe).' });
      tokenizer = wrap(() => loadHfTokenizer(file), `${pointer}/options/init/tokenizer/file`, file);
    } else {
      const corpus = loadCorpus(t.corpus as never, { resolvePath: ctx.resolvePath, pointer: `${pointer}/options/init/tokenizer/corpus`, plugin: PLUGIN });
      tokenizer = ByteBPETokenizer.train(corpus.train, { vocabSize: t.vocabSize, minFrequency: t.minFrequency });
    }
    const config = validateConfig(
      { vocabSize: Math.max(tokenizer.vocabSize, init.vocabSize ?? 0), contextSize: init.contextSize, dModel: init.dModel, nLayers: init.nLayers, nHeads: init.nHeads, dMlp: init.dMlp, tieEmbeddings: init.tieEmbeddings, valueHead: o.valueHead, dropout: 0 },
      { pointer: `${pointer}/options/init`, plugin: PLUGIN },
    );
    let policy = new GPTModel(tf, config, tokenizer, initWeights(config, rng.fork('agent-init')));
    const lora = loraOptions(o, rng, pointer, ctx.resolvePath);
    if (lora) {
      const base = policy;
      try {
        const where = { pointer: lora.pointer, plugin: lora.plugin };
        const saved = lora.from ? readAdapter(lora.from, where) : undefined;
        const adapters = saved
          ? LoraAdapters.fromTensors(tf, { ...saved.settings, dropout: 0 }, gptLoraModules(config), saved.tensors, where)
          : LoraAdapters.create(tf, lora.settings, gptLoraModules(config), lora.rng, where);
        policy = base.withLora(adapters, { referenceAdapters: lora.from ? 'copy' : 'off', adapterBase: 'random init' });
      } finally {
        base.dispose();
      }
    }
    checkSamplingAt(sampling, policy.contextSize, pointer);
    // embedding rows beyond the tokenizer (init.vocabSize) are never sampled
    const unused = Array.from({ length: config.vocabSize - tokenizer.vocabSize }, (_, i) => tokenizer.vocabSize + i);
    if (o.suppressEos || unused.length) policy.suppressTokens([...unused, ...(o.suppressEos ? [tokenizer.eosId] : [])]);
    return { policy, sampling, source: 'random init' };
  },
  /** The agent from a checkpoint folder: `checkpoint` set to it (and `init` dropped), the other options as given. */
  fromCheckpoint(ctx, dir): Agent {
    return this.create({ ...ctx, options: { ...ctx.options, checkpoint: dir, init: undefined } }) as Agent;
  },
  /** The tokenizer of a checkpoint or model folder, or of a tokenizer.json file (`rlhf tokenize`). */
  loadTokenizer(fileOrDir) {
    return loadHfTokenizer(fileOrDir);
  },
  /** The model's size for the memory plan, read from config.json or the init options (no weights loaded). */
  footprint(ctx) {
    return gptFootprint(ctx.options, ctx.resolvePath);
  },
  /** The bare GPT of a checkpoint folder, e.g. as a reward model's backbone. */
  loadModel(dir, opts, container) {
    const { tf } = container.resolve(Tokens.Runtime);
    // an adapter folder's own adapter_config.json gives the settings; those here are placeholders
    const lora = opts.adapter ? { settings: { rank: 1, alpha: 1, dropout: 0, targetModules: [] }, from: opts.adapter, rng: new Rng(0), plugin: PLUGIN } : undefined;
    return loadPolicy(dir, tf, { valueHead: opts.valueHead, rng: opts.rng, trainable: opts.trainable, lora });
  },
});

/** The agent's lora options as loadPolicy takes them (undefined when LoRA is off); A is drawn from the run's stream "lora". */
function loraOptions(o: GPTAgentOptions, rng: Rng, pointer: string, resolvePath: (p: string) => string): LoraLoadOptions | undefined {
  if (!o.lora) return undefined;
  const l = o.lora;
  return {
    settings: { rank: l.rank, alpha: l.alpha, dropout: l.dropout, targetModules: [...l.targetModules] },
    from: l.from === undefined ? undefined : resolvePath(l.from),
    rng: rng.fork('lora'),
    pointer: `${pointer}/options/lora`,
    plugin: PLUGIN,
  };
}

function checkSamplingAt(s: SamplingOptions, contextSize: number, pointer: string): void {
  try {
    checkSampling(s, contextSize);
  } catch (e) {
    if (DiagnosticError.is(e)) for (const d of e.diagnostics) d.pointer = d.pointer?.replace('/agent', pointer);
    throw e;
  }
}

function wrap<T>(f: () => T, pointer: string, file?: string): T {
  try {
    return f();
  } catch (e) {
    if (DiagnosticError.is(e)) {
      for (const d of e.diagnostics) {
        d.pointer ??= pointer;
        d.file ??= file;
        d.plugin ??= PLUGIN;
      }
    }
    throw e;
  }
}
