import { definePackage, definePlugin } from '../index';

/**
 * Plugin definitions whose only purpose is to give the validation tests schemas to check
 * against; their factories are never called by these tests.
 */
const never = (): never => {
  throw new Error('validation-only plugin');
};

export const validationPackage = definePackage({
  plugins: [
    definePlugin({
      kind: 'agent',
      name: 'gpt',
      description: 'test agent schema',
      options: {
        type: 'object',
        additionalProperties: false,
        properties: {
          checkpoint: { type: 'string', description: 'Checkpoint folder.' },
          sampling: {
            type: 'object',
            additionalProperties: false,
            default: {},
            description: 'Sampling settings.',
            properties: {
              temperature: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Softmax temperature.' },
              maxNewTokens: { type: 'integer', minimum: 1, default: 24, description: 'Most tokens generated.' },
            },
          },
        },
      } as const,
      create: never,
    }),
    definePlugin({ kind: 'environment', name: 'prompts', description: 'test env', options: { type: 'object', additionalProperties: false, properties: { file: { type: 'string', description: 'Prompt file.' } } } as const, create: never }),
    definePlugin({
      kind: 'algorithm',
      name: 'ppo',
      description: 'test ppo schema',
      requires: ['agent', 'environment', 'rewards', 'klController'],
      options: {
        type: 'object',
        additionalProperties: false,
        properties: {
          learningRate: { type: 'number', exclusiveMinimum: 0, default: 1.41e-5, description: 'Adam learning rate.' },
          epochs: { type: 'integer', minimum: 1, default: 4, description: 'Passes over each batch.' },
        },
      } as const,
      create: never,
    }),
    definePlugin({ kind: 'kl-controller', name: 'adaptive', description: 'test kl', options: { type: 'object', additionalProperties: false, properties: { target: { type: 'number', default: 6, description: 'Target KL.' } } } as const, create: never }),
    // the schema and requires of the rl job (@rlhfjs/plugin-algorithms), and an online algorithm's requires on ppo
    definePlugin({ kind: 'job', name: 'rl', description: 'test rl job', options: { type: 'object', additionalProperties: false, properties: {} } as const, requires: ['agent', 'algorithm'], create: never }),
    definePlugin({ kind: 'kl-controller', name: 'fixed', description: 'test kl', options: { type: 'object', additionalProperties: false, properties: { value: { type: 'number', default: 0.2, description: 'Beta.' } } } as const, create: never }),
  ],
});
