import type { OptionsOf } from '@rlhfjs/core';
import { corpusSpecSchema } from '../corpus/spec';

/** Options of the `prompts` environment: the schema, and the type derived from it. */
export const promptsOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: {
      type: 'string',
      description: 'Prompt file (relative to the recipe): .jsonl/.ndjson holds one JSON object per line, anything else one prompt per line. Give either this or `corpus`.',
    },
    format: {
      type: 'string',
      enum: ['auto', 'lines', 'jsonl'],
      default: 'auto',
      description: 'How to read `path` and `heldOutPath`: "auto" picks JSONL by the .jsonl/.ndjson extension, otherwise one prompt per line.',
    },
    field: { type: 'string', default: 'prompt', description: 'In JSONL files: the field that holds the prompt text.' },
    heldOutPath: {
      type: 'string',
      description: 'A separate file of held-out (evaluation) prompts, same format as `path`. When set, every prompt of the main source is a training prompt and heldOutFraction is not used.',
    },
    heldOutFraction: {
      type: 'number',
      minimum: 0,
      maximum: 0.9,
      default: 0.05,
      description: 'Without heldOutPath: share of prompts kept for evaluation, chosen by a hash of the prompt text and `seed` (stable when the file grows).',
    },
    seed: { type: 'integer', default: 1234, description: 'Seed of the train/held-out split and of the number of words cut from each corpus sentence. The batch order comes from the run\'s random stream.' },
    corpus: corpusSpecSchema,
    cut: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'With `corpus`: how prompts are cut from sentences (the first N words, N between minWords and maxWords by hash).',
      properties: {
        minWords: { type: 'integer', minimum: 1, default: 4, description: 'Fewest words a prompt keeps.' },
        maxWords: { type: 'integer', minimum: 1, default: 8, description: 'Most words a prompt keeps (at least minWords).' },
        minRemainingWords: { type: 'integer', minimum: 0, default: 1, description: 'Words that must remain after the cut; shorter sentences are skipped.' },
        split: {
          type: 'string',
          enum: ['heldOut', 'train', 'all'],
          default: 'heldOut',
          description: 'Which corpus sentences to cut: "heldOut" (sentences a model pretrained on the same corpus spec never saw), "train", or "all".',
        },
      },
    },
    maxTokens: {
      type: 'integer',
      minimum: 1,
      description: 'Shorten prompts to at most this many tokens of the policy tokenizer (not counting the bos token the agent adds). Leave it out to keep prompts whole.',
    },
    truncate: {
      type: 'string',
      enum: ['left', 'right'],
      default: 'left',
      description: 'With maxTokens: "left" drops tokens from the start (keeps the words the completion continues), "right" drops them from the end.',
    },
    chatTemplate: {
      type: 'boolean',
      default: false,
      description: "Wrap each prompt as a user turn of the policy's chat template (an instruct model's tokenizer_config.json `chat_template`), ending with the assistant's generation prompt, so that the completion is the assistant's reply. Rewards and logs see the wrapped text. maxTokens applies to the prompt before it is wrapped.",
    },
    systemPrompt: {
      type: 'string',
      description: 'With chatTemplate: a system message put before every user turn (e.g. "You are a helpful assistant.").',
    },
    chatVariables: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'With chatTemplate: further variables some templates read.',
      properties: {
        enable_thinking: { type: 'boolean', description: 'Qwen3 templates: false adds an empty thinking block, so the reply starts with the answer.' },
        date_string: { type: 'string', description: 'Llama 3.1+ templates print this date (e.g. "26 Jul 2024") in the system turn; without it they print today\'s date, so prompts would differ from day to day.' },
      },
    },
  },
} as const;

export type PromptsOptions = OptionsOf<typeof promptsOptionsSchema>;
