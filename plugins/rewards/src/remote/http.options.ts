import type { OptionsOf } from '@rlhfjs/core';

/** Options of the `http` reward: the schema, and the type derived from it. */
export const httpRewardOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://', description: 'Endpoint that scores a batch, e.g. http://127.0.0.1:8000/score.' },
    timeoutMs: { type: 'integer', minimum: 1, default: 30000, description: 'Milliseconds to wait for one answer before the attempt counts as failed.' },
    retries: { type: 'integer', minimum: 0, maximum: 10, default: 2, description: 'Further attempts after a timeout, a network error, 429 or a 5xx answer (other answers are not retried).' },
    backoffMs: { type: 'integer', minimum: 0, default: 500, description: 'Wait before the first retry; it doubles for each further one.' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: {},
      description: 'Extra request headers, e.g. {"authorization": "Bearer …"}. They are stored in the resolved recipe: do not put secrets in a shared recipe.',
    },
  },
} as const;

export type HttpRewardOptions = OptionsOf<typeof httpRewardOptionsSchema>;
