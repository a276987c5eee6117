import type { OptionsOf } from '@rlhfjs/core';
import { gptAgentOptionsSchema } from './gpt.options';

/** Options of the `hf-causal-lm` agent: the schema, and the type derived from it. */
export const hfAgentOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: {
      type: 'string',
      description:
        '(Required.) A Hugging Face model folder (config.json, tokenizer.json, model.safetensors or model-0000k-of-0000n.safetensors shards), relative to the recipe, e.g. "models/gpt2" downloaded with `huggingface-cli download gpt2 --local-dir models/gpt2`. model_type gpt2, gpt_neo, llama or qwen2.',
    },
    suppressEos: gptAgentOptionsSchema.properties.suppressEos,
    valueHead: {
      type: 'boolean',
      default: false,
      description: 'Give the policy a scalar value head (needed by PPO): the one saved beside the weights (value_head.safetensors), else a freshly initialised one (seeded).',
    },
    fullVocabulary: {
      type: 'boolean',
      default: false,
      description:
        "Keep embedding rows beyond the tokenizer's vocabulary (padding rows, e.g. Qwen2.5's) in the model's distribution, as transformers does. Off (the default), they get logit −1e9 everywhere, so sampling and scoring see one distribution over real tokens.",
    },
    sampling: gptAgentOptionsSchema.properties.sampling,
  },
} as const;

export type HFAgentOptions = OptionsOf<typeof hfAgentOptionsSchema>;
