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
    saveDtype: {
      type: 'string',
      enum: ['original', 'float32'],
      default: 'original',
      description:
        'Dtype of the saved policy (final/ and checkpoints): "original" writes each tensor in the dtype it was read in (a BF16 model stays BF16, so a weight change below half a BF16 step is rounded away); "float32" writes every tensor as F32 and sets config.json torch_dtype "float32".',
    },
    lora: {
      ...gptAgentOptionsSchema.properties.lora,
      properties: {
        ...gptAgentOptionsSchema.properties.lora.properties,
        targetModules: {
          ...gptAgentOptionsSchema.properties.lora.properties.targetModules,
          description:
            'PEFT target_modules: a projection is adapted when its module path equals a name or ends with "." + the name. gpt2: transformer.h.<i>.attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj (the default c_attn is GPT-2\'s); gpt_neo: transformer.h.<i>.attn.attention.q_proj, k_proj, v_proj, out_proj, mlp.c_fc, mlp.c_proj; llama and qwen2: model.layers.<i>.self_attn.q_proj, k_proj, v_proj, o_proj, mlp.gate_proj, up_proj, down_proj (e.g. [q_proj, v_proj]).',
        },
      },
    },
    sampling: gptAgentOptionsSchema.properties.sampling,
  },
} as const;

export type HFAgentOptions = OptionsOf<typeof hfAgentOptionsSchema>;
