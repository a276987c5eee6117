import { definePackage, definePlugin, DiagnosticError, type Environment, type Prompt } from '@rlhfjs/core';
import type { Rng } from '@rlhfjs/core';

interface State {
  /** Order of the training prompts in the current epoch (null before the first batch). */
  order: number[] | null;
  /** Next position in order. */
  position: number;
}

/**
 * Environment: prompts listed in the recipe. The last heldOut prompts are kept for evaluation;
 * the rest are served in an order shuffled with the run's data stream, anew every epoch.
 */
export const __EXPORT__ = definePlugin({
  kind: 'environment',
  name: '__PLUGIN__',
  description: 'Serves prompts listed in the recipe, reshuffled every epoch; the last few are held out for evaluation.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      prompts: {
        type: 'array',
        items: { type: 'string' },
        minItems: 2,
        default: ['The weather today is', 'My favourite meal is', 'On weekends I like to', 'The best book I read was', 'A good friend is someone who', 'The garden looks'],
        description: 'The prompts, in the order written; the last heldOut of them are evaluation prompts.',
      },
      heldOut: { type: 'integer', minimum: 0, default: 1, description: 'How many prompts, from the end of the list, are kept for evaluation only.' },
    },
  } as const,
  create({ options, pointer }): Environment {
    const all: Prompt[] = options.prompts.map((text, i) => ({ id: '__PLUGIN__:' + i, text }));
    if (options.heldOut >= all.length) {
      throw new DiagnosticError({
        code: '__PLUGIN__/held-out',
        pointer: pointer + '/options/heldOut',
        message: 'heldOut (' + options.heldOut + ') leaves no training prompts out of ' + all.length,
        fix: 'lower heldOut or add prompts',
      });
    }
    const train = all.slice(0, all.length - options.heldOut);
    const held = all.slice(all.length - options.heldOut);
    let state: State = { order: null, position: 0 };
    return {
      size: train.length,
      nextBatch(n: number, rng: Rng): Prompt[] {
        const out: Prompt[] = [];
        while (out.length < n) {
          if (state.order === null || state.position >= state.order.length) state = { order: rng.shuffle(train.map((_, i) => i)), position: 0 };
          out.push(train[state.order![state.position++]]);
        }
        return out;
      },
      heldOut(limit?: number): Prompt[] {
        return held.slice(0, limit ?? held.length);
      },
      getState(): State {
        return { order: state.order ? [...state.order] : null, position: state.position };
      },
      setState(s: unknown) {
        const v = s as State;
        state = { order: v.order ? [...v.order] : null, position: v.position };
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
