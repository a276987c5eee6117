import type { OptionsOf } from '@rlhfjs/core';

/** Options of the `csv` logger: the schema, and the type derived from it. */
export const csvLoggerOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    file: { type: 'string', default: 'metrics.csv', description: 'File name, relative to the run directory.' },
  },
} as const;

export type CsvLoggerOptions = OptionsOf<typeof csvLoggerOptionsSchema>;
