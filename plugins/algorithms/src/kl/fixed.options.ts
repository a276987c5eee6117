import type { OptionsOf } from '@rlhfjs/core';

/** Options of the `fixed` KL controller: the schema, and the type derived from it. */
export const fixedKLOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    beta: {
      type: 'number',
      minimum: 0,
      default: 0.2,
      description: 'KL coefficient β (TRL classic init_kl_coef: 0.2; GRPO papers use about 0.04).',
    },
  },
} as const;

export type FixedKLOptions = OptionsOf<typeof fixedKLOptionsSchema>;
