import { definePackage, definePlugin } from '../plugin/define';
import { PluginRegistry } from '../plugin/registry';
import { redactCommand, redactRecipe, secretPlaces, secretValues } from './secrets';

const options = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', description: 'where' },
    token: { type: 'string', writeOnly: true, description: 'a credential' },
    headers: { type: 'object', additionalProperties: { type: 'string', writeOnly: true }, description: 'credentials by name' },
  },
} as const;
const reward = definePlugin({ kind: 'reward', name: 'svc', description: 'a service', options, create: () => ({ score: async () => ({ scores: [] }) }) });
const registry = new PluginRegistry().add('pkg', definePackage({ plugins: [reward] }));

const recipe = {
  job: { use: 'rl', options: {} },
  rewards: [
    { use: 'svc', options: { url: 'http://x', headers: {} } },
    { use: 'svc', options: { url: 'http://y', token: 'tok-1', headers: { authorization: 'Bearer b-2', 'a/b': 'c-3' } } },
  ],
};

test('writeOnly values that are present are the secret places; the recipe is redacted there only', () => {
  const places = secretPlaces(recipe, registry);
  expect(places.map((p) => p.pointer)).toEqual(['/rewards/1/options/token', '/rewards/1/options/headers/authorization', '/rewards/1/options/headers/a~1b']);
  expect(places[0].plugin).toBe('reward/svc');
  expect(secretValues(recipe, places)).toEqual(['tok-1', 'Bearer b-2', 'c-3']);
  const red = redactRecipe(recipe, places);
  expect(red.rewards[1].options).toEqual({ url: 'http://y', token: '<redacted>', headers: { authorization: '<redacted>', 'a/b': '<redacted>' } });
  expect(recipe.rewards[1].options.token).toBe('tok-1'); // a copy
});

test('every form of --set that writes a secret is redacted in the command line; others are kept', () => {
  const places = secretPlaces(recipe, registry);
  const cmd = [
    'rlhf', 'train', 'r.yaml',
    '--set', 'rewards.1.options.token=tok-1', 'rewards[0].options.url=http://z',
    '--set=rewards[1].options.headers.authorization=Bearer b-2',
    '--set', 'rewards.1.options.headers={authorization: "Bearer b-2"}',
    '--set', 'rewards.1.options={token: tok-1}',
    '--out', 'tok-1-folder',
  ];
  expect(redactCommand(cmd, places, secretValues(recipe, places))).toEqual([
    'rlhf', 'train', 'r.yaml',
    '--set', 'rewards.1.options.token=<redacted>', 'rewards[0].options.url=http://z',
    '--set=rewards[1].options.headers.authorization=<redacted>',
    '--set', 'rewards.1.options.headers=<redacted>',
    '--set', 'rewards.1.options=<redacted>',
    // a secret's value is redacted wherever else it appears
    '--out', '<redacted>-folder',
  ]);
  expect(redactCommand(cmd, [])).toEqual(cmd);
});
