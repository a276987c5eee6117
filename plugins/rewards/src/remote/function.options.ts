import type { OptionsOf } from '@rlhfjs/core';

/** Options of the `function` reward: the schema, and the type derived from it. */
export const functionRewardOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['module'],
  properties: {
    module: {
      type: 'string',
      minLength: 1,
      description: 'Path of the module, relative to the recipe: .js or .cjs (CommonJS or ES module), .mjs, or .ts when a TypeScript loader is registered.',
    },
    export: {
      type: 'string',
      minLength: 1,
      default: 'default',
      description: 'Name of the exported function; "default" takes `export default` or `module.exports = fn`.',
    },
  },
} as const;

export type FunctionRewardOptions = OptionsOf<typeof functionRewardOptionsSchema>;
