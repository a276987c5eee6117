import { AfinnScorer } from '../lexicon/afinn';

describe('afinn-sentiment scorer', () => {
  test('sums AFINN valences of the completion and flags positive ones', async () => {
    const s = new AfinnScorer({ text: 'completion' });
    // AFINN-165: good +3, bad −3, wonderful +4
    const res = await s.score([
      { prompt: 'terrible prompt', completion: ' a good and wonderful day' },
      { prompt: '', completion: 'a bad day' },
      { prompt: '', completion: 'the table' },
    ]);
    expect(res.scores).toEqual([7, -3, 0]);
    expect(res.flags).toEqual([true, false, false]);
  });
});
