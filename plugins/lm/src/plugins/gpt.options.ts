import type { OptionsOf } from '@rlhfjs/core';
import { corpusSpecSchema } from '../corpus/spec';
import { gptArchitectureProperties } from '../model/architecture.options';

/** Options of the `gpt` agent: the schema, and the type derived from it. */
export const gptAgentOptionsSchema = {
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
        ...gptArchitectureProperties,
        vocabSize: {
          type: 'integer',
          minimum: 258,
          description:
            'Rows of the token embedding, when more than the tokenizer has (e.g. 50257 for a GPT-2-shaped model on a small tokenizer). The extra ids are removed from the distribution (never sampled). Default: the tokenizer\'s vocabulary.',
        },
        tokenizer: {
          type: 'object',
          additionalProperties: false,
          description: 'Where the tokenizer comes from: a tokenizer.json file, or trained on a corpus.',
          properties: {
            file: { type: 'string', description: 'A tokenizer.json (written by @rlhfjs/plugin-lm or from a Hugging Face model folder; tokenizer_config.json beside it is read too), relative to the recipe. See docs/hf-models.md.' },
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
    lora: {
      type: 'object',
      additionalProperties: false,
      description:
        'Train LoRA adapters instead of the whole model (PEFT\'s LoRA): the base weights are frozen and shared with the KL reference (the base with its adapters off), and only the adapters and the value head get gradients and optimiser state. Adapters are saved in PEFT\'s format (adapter_config.json + adapter_model.safetensors) beside every saved policy; `rlhf merge-lora` writes a plain checkpoint with them merged.',
      properties: {
        rank: { type: 'integer', minimum: 1, default: 8, description: 'r: the rank of each low-rank update ΔW = B·A (A [r, in], B [out, r]).' },
        alpha: { type: 'number', exclusiveMinimum: 0, default: 16, description: 'lora_alpha: updates are scaled by alpha / rank.' },
        dropout: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: 0,
          description: 'lora_dropout. Only 0 is accepted: with dropout the function that samples completions and the one whose log-probs are trained would differ, which biases the policy gradient and the KL.',
        },
        targetModules: {
          type: 'array',
          items: { type: 'string' },
          minItems: 1,
          default: ['c_attn'],
          description:
            'PEFT target_modules: a projection is adapted when its module path equals a name or ends with "." + the name. The gpt agent\'s modules are GPT-2\'s: transformer.h.<i>.attn.c_attn (q, k, v), attn.c_proj, mlp.c_fc, mlp.c_proj; "c_proj" alone selects both c_proj of each block.',
        },
        from: {
          type: 'string',
          description:
            'Start from a trained adapter folder (adapter_config.json + adapter_model.safetensors, e.g. a LoRA run\'s final/), relative to the recipe; its r, lora_alpha and target_modules replace rank, alpha and targetModules. The KL reference then keeps a frozen copy of that adapter (the policy as the run started).',
        },
      },
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
} as const;

export type GPTAgentOptions = OptionsOf<typeof gptAgentOptionsSchema>;
