import type { OptionsOf } from '@rlhfjs/core';
import { textOption } from './text-option';

/** Options of the `obscenity-toxicity` scorer: the schema, and the type derived from it. */
export const obscenityToxicityOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { text: textOption },
} as const;

export type ObscenityToxicityOptions = OptionsOf<typeof obscenityToxicityOptionsSchema>;
