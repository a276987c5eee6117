import * as fs from 'node:fs';
import { definePlugin, DiagnosticError, Tokens, type Agent, type SamplingOptions } from '@rlhfjs/core';
import { corpusSpecSchema } from '../corpus/spec';
import { loadCorpus } from '../corpus/load';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { validateConfig } from '../model/config';
import { GPTModel } from '../model/gpt';
import { initWeights } from '../model/init';
import { loadPolicy } from '../model/checkpoint-io';
import { checkSampling } from '../generation/generate';

const PLUGIN = 'agent/gpt';

export const gptAgent = definePlugin({
  kind: 'agent',
  name: 'gpt',
  description: 'A GPT-style policy language model on tfjs (from a checkpoint directory or a seeded random init), with KV-cache sampling.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      checkpoint: {
        type: 'string',
        description: 'Checkpoint directory (config.json, tokenizer.json, model.safetensors), relative to the recipe, e.g. "models/base". Give this or `init`.',
      },
      init: {
        type: 'object',
        additionalProperties: false,
        required: ['tokenizer'],
        description: 'Build a randomly initialised model (seeded from runtime.seed) instead of loading a checkpoint. Give this or `checkpoint`.',
        properties: {
          contextSize: { type: 'integer', minimum: 8, default: 64, description: 'Context window in tokens (prompt + completion).' },
          dModel: { type: 'integer', minimum: 8, default: 128, description: 'Width of the residual stream.' },
          nLayers: { type: 'integer', minimum: 1, default: 2, description: 'Number of transformer blocks.' },
          nHeads: { type: 'integer', minimum: 1, default: 4, description: 'Attention heads per block (must divide dModel).' },
          dMlp: { type: 'integer', minimum: 8, default: 512, description: 'Hidden width of the MLP in each block.' },
          tieEmbeddings: { type: 'boolean', default: true, description: 'Share the token-embedding matrix with the output projection.' },
          tokenizer: {
            type: 'object',
            additionalProperties: false,
            description: 'Where the tokenizer comes from: a tokenizer.json file, or trained on a corpus.',
            properties: {
              file: { type: 'string', description: 'A tokenizer.json written by @rlhfjs/plugin-lm (or Hugging Face byte-level BPE), relative to the recipe.' },
              corpus: corpusSpecSchema,
              vocabSize: { type: 'integer', minimum: 258, maximum: 65536, default: 2048, description: 'With `corpus`: vocabulary size of the trained byte-level BPE.' },
              minFrequency: { type: 'integer', minimum: 1, default: 2, description: 'With `corpus`: a pair is merged only if it occurs at least this many times.' },
            },
          },
        },
      },
      suppressEos: {
        type: 'boolean',
        default: false,
        description:
          'Remove the end-of-text token from the model\'s distribution (sampling, training log-probs and KL alike), so every completion runs to maxNewTokens. Stops RL from dodging a penalty by ending completions early, without the biased KL that a sampling-only minimum length gives.',
      },
      valueHead: {
        type: 'boolean',
        default: false,
        description: 'Give the policy a scalar value head (needed by PPO). A checkpoint without one gets a freshly initialised head (seeded).',
      },
      sampling: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'How completions are sampled during training and evaluation.',
        properties: {
          maxNewTokens: { type: 'integer', minimum: 1, default: 24, description: 'Most tokens generated per completion (the prompt is cut from the left to leave room).' },
          temperature: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Softmax temperature; 1 samples the model as it is, which the RL maths assumes.' },
          topK: { type: 'integer', minimum: 0, default: 0, description: 'Sample only among the k most likely tokens (0 = off).' },
          topP: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Nucleus sampling: only the smallest set of tokens whose probability reaches p (1 = off).' },
          stop: { type: 'array', items: { type: 'string' }, default: [], description: 'Strings that end a completion (kept in it), e.g. ["\\n"]. The end-of-text token always ends one.' },
        },
      },
    },
  } as const,
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
      const policy = wrap(() => loadPolicy(dir, tf, { valueHead: o.valueHead, rng: rng.fork('value-head') }), `${pointer}/options/checkpoint`);
      checkSamplingAt(sampling, policy.contextSize, pointer);
      if (o.suppressEos) policy.suppressTokens([policy.tokenizer.eosId]);
      return { policy, sampling, source: dir };
    }
    const init = o.init!;
    const t = init.tokenizer;
    let tokenizer: ByteBPETokenizer;
    if ((t.file === undefined) === (t.corpus === undefined)) {
      throw new DiagnosticError({ code: 'lm/agent-tokenizer', message: 'init.tokenizer needs exactly one of `file` or `corpus`', pointer: `${pointer}/options/init/tokenizer`, plugin: PLUGIN, fix: 'Point `file` at a tokenizer.json, or give a `corpus` spec to train one.' });
    }
    if (t.file !== undefined) {
      const file = ctx.resolvePath(t.file);
      if (!fs.existsSync(file)) throw new DiagnosticError({ code: 'lm/missing-tokenizer', message: `tokenizer file ${file} does not exist`, file, pointer: `${pointer}/options/init/tokenizer/file`, plugin: PLUGIN, fix: 'Check the path (relative to the recipe).' });
      tokenizer = wrap(() => ByteBPETokenizer.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))), `${pointer}/options/init/tokenizer/file`, file);
    } else {
      const corpus = loadCorpus(t.corpus as never, { resolvePath: ctx.resolvePath, pointer: `${pointer}/options/init/tokenizer/corpus`, plugin: PLUGIN });
      tokenizer = ByteBPETokenizer.train(corpus.train, { vocabSize: t.vocabSize, minFrequency: t.minFrequency });
    }
    const config = validateConfig(
      { vocabSize: tokenizer.vocabSize, contextSize: init.contextSize, dModel: init.dModel, nLayers: init.nLayers, nHeads: init.nHeads, dMlp: init.dMlp, tieEmbeddings: init.tieEmbeddings, valueHead: o.valueHead, dropout: 0 },
      { pointer: `${pointer}/options/init`, plugin: PLUGIN },
    );
    const policy = new GPTModel(tf, config, tokenizer, initWeights(config, rng.fork('agent-init')));
    checkSamplingAt(sampling, policy.contextSize, pointer);
    if (o.suppressEos) policy.suppressTokens([tokenizer.eosId]);
    return { policy, sampling, source: 'random init' };
  },
  /** The agent from a checkpoint folder: `checkpoint` set to it (and `init` dropped), the other options as given. */
  fromCheckpoint(ctx, dir): Agent {
    return this.create({ ...ctx, options: { ...ctx.options, checkpoint: dir, init: undefined } }) as Agent;
  },
  /** The bare GPT of a checkpoint folder, e.g. as a reward model's backbone. */
  loadModel(dir, opts, container) {
    const { tf } = container.resolve(Tokens.Runtime);
    return loadPolicy(dir, tf, { valueHead: opts.valueHead, rng: opts.rng, trainable: opts.trainable });
  },
});

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
