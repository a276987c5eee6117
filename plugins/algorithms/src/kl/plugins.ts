import { definePlugin } from '@rlhfjs/core';
import { AdaptiveKLController } from './adaptive-controller';
import { FixedKLController } from './fixed-controller';
import { fixedKLOptionsSchema } from './fixed.options';
import { adaptiveKLOptionsSchema } from './adaptive.options';

export const fixedKLPlugin = definePlugin({
  kind: 'kl-controller',
  name: 'fixed',
  description: 'Constant KL coefficient β for the penalty against the reference model.',
  options: fixedKLOptionsSchema,
  create: ({ options }) => new FixedKLController(options),
});

export const adaptiveKLPlugin = definePlugin({
  kind: 'kl-controller',
  name: 'adaptive',
  description: 'Adaptive β (Ziegler et al. 2019): raises β when the KL per completion exceeds the target, lowers it below.',
  options: adaptiveKLOptionsSchema,
  create: ({ options }) => new AdaptiveKLController(options),
});
