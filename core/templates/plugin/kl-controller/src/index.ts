import { definePackage, definePlugin, type KLController } from '@rlhfjs/core';

/**
 * KL controller: beta_k = max(min, initial * decay^k) after k updates, whatever KL was observed.
 * Its state (beta and k) is plain JSON, stored in checkpoints so a resumed run continues the schedule.
 */
export const __EXPORT__ = definePlugin({
  kind: 'kl-controller',
  name: '__PLUGIN__',
  description: 'KL coefficient that decays geometrically each iteration, down to a floor.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      initial: { type: 'number', minimum: 0, default: 0.2, description: 'Coefficient beta of the first iteration.' },
      decay: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.9, description: 'Factor applied to beta after every iteration.' },
      min: { type: 'number', minimum: 0, default: 0.05, description: 'beta never falls below this floor.' },
    },
  } as const,
  create({ options }): KLController {
    let updates = 0;
    const beta = (): number => Math.max(options.min, options.initial * Math.pow(options.decay, updates));
    return {
      get value() {
        return beta();
      },
      update() {
        updates += 1;
      },
      getState() {
        return { value: beta(), updates };
      },
      setState(state) {
        if (typeof state.updates !== 'number') throw new Error('kl-controller/__PLUGIN__: the checkpoint state has no "updates" count');
        updates = state.updates;
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
