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
      additionalProperties: { type: 'string', writeOnly: true },
      default: {},
      description: 'Extra request headers, e.g. {"x-trace": "on"}. Their values count as secrets: they are written as "<redacted>" in the run folder. Prefer headersFromEnv for credentials.',
    },
    headersFromEnv: {
      type: 'object',
      additionalProperties: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      default: {},
      description: 'Request headers read from environment variables when the reward is created, e.g. {"authorization": "RLHF_REWARD_TOKEN"}: only the variable name is stored in the run folder.',
    },
    maxResponseBytes: { type: 'integer', minimum: 1, default: 16777216, description: 'Largest answer body accepted, in bytes (default 16 MiB); a longer answer fails as soon as the limit is passed.' },
    followRedirects: { type: 'boolean', default: false, description: 'Follow 3xx redirects (the request is posted again to the new address). Redirects to another origin are always refused.' },
  },
} as const;

export type HttpRewardOptions = OptionsOf<typeof httpRewardOptionsSchema>;
