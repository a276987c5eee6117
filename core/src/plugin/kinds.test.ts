import { recipeSchema } from '../recipe/envelope';
import { LIST_SLOTS, PLUGIN_KINDS, SINGLE_SLOTS, SLOTS, SLOT_OF_KIND, slotSpec } from './kinds';

const properties = recipeSchema.properties as Record<string, { type?: string; $ref?: string; items?: { $ref?: string } }>;
const refersToSlot = (p: { $ref?: string; items?: { $ref?: string } }): boolean => /^#\/\$defs\/(slot|rewardSlot)$/.test(p.$ref ?? p.items?.$ref ?? '');

describe('the slot table', () => {
  it('matches the envelope schema: single slots are one slot object, list slots an array of them', () => {
    for (const { slot, list } of SLOTS) {
      const p = properties[slot];
      expect({ slot, declared: p !== undefined }).toEqual({ slot, declared: true });
      if (list) expect({ slot, type: p.type, items: p.items?.$ref }).toEqual({ slot, type: 'array', items: slot === 'rewards' ? '#/$defs/rewardSlot' : '#/$defs/slot' });
      else expect({ slot, ref: p.$ref }).toEqual({ slot, ref: '#/$defs/slot' });
    }
  });

  it('holds every slot the envelope declares', () => {
    const declared = Object.keys(properties).filter((k) => refersToSlot(properties[k]));
    expect(declared.sort()).toEqual(SLOTS.map((s) => s.slot).sort());
  });

  it('gives every plugin kind but job one slot, and the derived lists split the table', () => {
    expect(SLOTS.map((s) => s.kind).sort()).toEqual(PLUGIN_KINDS.filter((k) => k !== 'job').sort());
    expect(SLOT_OF_KIND).toEqual({ agent: 'agent', environment: 'environment', reward: 'rewards', algorithm: 'algorithm', 'kl-controller': 'klController', logger: 'loggers', scorer: 'scorers', job: 'job' });
    expect(SINGLE_SLOTS).toEqual(['agent', 'environment', 'algorithm', 'klController']);
    expect(LIST_SLOTS).toEqual(['rewards', 'loggers', 'scorers']);
    expect(slotSpec('klController')).toEqual({ slot: 'klController', kind: 'kl-controller', list: false });
    expect(slotSpec('job')).toBeUndefined();
  });
});
