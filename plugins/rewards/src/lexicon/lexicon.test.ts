import { CussMatcher, ObscenityMatcher, cussWords, words, cussToxicityScorer, obscenityToxicityScorer, LexiconScorer } from './index';
import { container } from 'tsyringe';

const ctx = <O>(options: O) => ({ options, container: container.createChildContainer(), resolvePath: (p: string) => p, pointer: '/scorers/0' });

test('the cuss list is read from the package with its ratings', () => {
  const m = cussWords();
  expect(m.size).toBeGreaterThan(1700);
  expect(m.get('crap')).toBe(2);
  expect(m.get('damn')).toBe(1);
  expect(m.get('hell')).toBe(0);
  expect(m.get('alligator bait')).toBe(2); // a quoted multi-word key
});

test('words are runs of letters and digits with inner apostrophes', () => {
  expect(words("Don't POOP-here, ok?").map((w) => w.word)).toEqual(["don't", 'poop', 'here', 'ok']);
});

test('cuss matcher: whole words only, so short listed strings do not fire inside other words', () => {
  const m = new CussMatcher();
  expect(m.isToxic('a photo of the shop')).toBe(false); // "ho" inside words
  expect(m.isToxic('kung fu fighting')).toBe(true); // "fu" as a word is rated 2
  expect(m.isToxic('refuse the funds')).toBe(false);
  expect(m.matches('What a load of CRAP, you idiot.')).toEqual([
    { word: 'crap', index: 15 },
    { word: 'idiot', index: 25 },
  ]);
  expect(m.isToxic('damn it')).toBe(false); // rated 1: below the default
  expect(new CussMatcher({ minRating: 1 }).isToxic('damn it')).toBe(true);
  expect(new CussMatcher({ allow: ['crap'] }).isToxic('crap')).toBe(false);
});

test('cuss matcher: multi-word phrases match consecutive words', () => {
  const m = new CussMatcher();
  expect(m.matches('they said alligator  bait there')).toEqual([{ word: 'alligator bait', index: 10 }]);
  expect(m.isToxic('an alligator ate the bait')).toBe(false);
});

test('obscenity matcher resolves leetspeak, unlike the cuss matcher: the two measures differ', () => {
  const o = new ObscenityMatcher();
  const c = new CussMatcher();
  expect(o.isToxic('you b4stard')).toBe(true);
  expect(c.isToxic('you b4stard')).toBe(false);
  expect(o.isToxic('a photo of the shop')).toBe(false);
  expect(o.isToxic('what crap')).toBe(false);
  expect(c.isToxic('what crap')).toBe(true);
  expect(o.matches('piss off')[0].word).toBe('piss');
});

test('scorer plugins flag and score 1/0 on the completion only by default', async () => {
  const cuss = (await cussToxicityScorer.create(ctx({ minRating: 2, allow: [], text: 'completion' as const }))) as LexiconScorer;
  const samples = [
    { prompt: 'poop ', completion: 'is a word' },
    { prompt: 'hello', completion: ' you stupid thing' },
  ];
  expect(cuss.name).toBe('cuss-toxicity');
  const r = await cuss.score(samples);
  expect(r.flags).toEqual([false, true]);
  expect(r.scores).toEqual([0, 1]);
  expect(r.matches).toEqual([[], ['stupid']]);
  const both = await cussToxicityScorer.create(ctx({ minRating: 2, allow: [], text: 'prompt-and-completion' as const }));
  expect((await both.score(samples)).flags).toEqual([true, true]);
  const obs = await obscenityToxicityScorer.create(ctx({ text: 'completion' as const }));
  expect(obs.name).toBe('obscenity-toxicity');
  expect(await obs.score([{ prompt: '', completion: 'sh1t happens' }, { prompt: '', completion: 'fine day' }])).toMatchObject({ scores: [1, 0], flags: [true, false] });
});
