import { definePlugin } from '@rlhfjs/core';
import { AdaptiveKLController } from './adaptive-controller';
import { FixedKLController } from './fixed-controller';

export const fixedKLPlugin = definePlugin({
  kind: 'kl-controller',
  name: 'fixed',
  description: 'Constant KL coefficient β for the penalty against the reference model.',
  options: {
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
  } as const,
  create: ({ options }) => new FixedKLController(options.beta),
});

export const adaptiveKLPlugin = definePlugin({
  kind: 'kl-controller',
  name: 'adaptive',
  description: 'Adaptive β (Ziegler et al. 2019): raises β when the KL per completion exceeds the target, lowers it below.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      initialBeta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.2,
        description: 'β before the first update (TRL classic: 0.2; lm-human-preferences launch: 0.15).',
      },
      target: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 6,
        description: 'Target KL per completion in nats, summed over tokens (TRL classic: 6).',
      },
      horizon: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 10000,
        description: 'Horizon in episodes: each update changes β by at most 20 %·(episodes in the batch / horizon) (TRL classic: 10000).',
      },
    },
  } as const,
  create: ({ options }) => new AdaptiveKLController({ initialBeta: options.initialBeta, target: options.target, horizon: options.horizon }),
});
