import { cumulativeReturns, flatGroups, groupCentred, overlongPenalty, reinforcePlusPlusAdvantages, scaledGroupAdvantages } from './advantages';
import { grpoAdvantages } from '../math/group-advantages';

const close = (got: number[], want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));

describe('group advantages by reward scaling', () => {
  // rewards [1, 3 | 0, 4], k = 2: centred [−1, 1 | −2, 2]
  it('"none" is r − mean_group (Dr. GRPO)', () => {
    close(scaledGroupAdvantages([1, 3, 0, 4], 2, 'none', 1e-4), [-1, 1, -2, 2]);
    close(groupCentred([1, 3, 0, 4], 2), [-1, 1, -2, 2]);
  });
  // group stds (n − 1): √2 and √8 → [−1/√2, 1/√2, −2/√8, 2/√8] = ±0.707107
  it('"group" divides by each group\'s std and is grpoAdvantages itself', () => {
    close(scaledGroupAdvantages([1, 3, 0, 4], 2, 'group', 0), [-0.707107, 0.707107, -0.707107, 0.707107]);
    expect(scaledGroupAdvantages([1, 3, 0, 5], 2, 'group', 1e-4)).toEqual(grpoAdvantages([1, 3, 0, 5], 2, 1e-4));
  });
  // batch std (n − 1) of [1, 3, 0, 4]: mean 2, Σ dev² = 1 + 1 + 4 + 4 = 10, var 10/3, std 1.825742 → [−1, 1, −2, 2]/1.825742
  it('"batch" divides by the std of all the rewards', () => {
    close(scaledGroupAdvantages([1, 3, 0, 4], 2, 'batch', 0), [-0.547723, 0.547723, -1.095445, 1.095445]);
  });
});

describe('REINFORCE++', () => {
  // γ = 0.5, rewards [1, 2, 3]: G_2 = 3, G_1 = 2 + 0.5·3 = 3.5, G_0 = 1 + 0.5·3.5 = 2.75
  it('sums discounted returns to go over ragged rows', () => {
    expect(cumulativeReturns([[1, 2, 3], [4]], 0.5)).toEqual([[2.75, 3.5, 3], [4]]);
  });
  // rewards [[0, 1], [2]], γ = 1 → returns [[1, 1], [2]]; mean 4/3, deviations −1/3, −1/3, 2/3,
  // Σ dev² = 6/9, var (n − 1) = 1/3, std 0.577350 → A = [−0.577350, −0.577350, 1.154701]
  it('whitens the returns over every token of the batch', () => {
    const { returns, advantages } = reinforcePlusPlusAdvantages([[0, 1], [2]], 1);
    expect(returns).toEqual([[1, 1], [2]]);
    close(advantages.flat(), [-0.57735, -0.57735, 1.154701]);
  });
});

describe('DAPO', () => {
  it('finds the groups whose rewards are all equal', () => {
    expect(flatGroups([1, 1, 2, 3, 5, 5], 2)).toEqual([0, 2]);
    expect(flatGroups([1, 2, 3], 3)).toEqual([]);
  });
  // L_max = 20, L_cache = 4: free up to 16; 18 → (16 − 18)/4 = −0.5; 20 → −1; beyond → −1
  it('punishes overlong completions softly', () => {
    expect(overlongPenalty(16, 20, 4, 1)).toBe(0);
    expect(overlongPenalty(18, 20, 4, 1)).toBeCloseTo(-0.5, 12);
    expect(overlongPenalty(20, 20, 4, 1)).toBeCloseTo(-1, 12);
    expect(overlongPenalty(21, 20, 4, 1)).toBe(-1);
    expect(overlongPenalty(18, 20, 4, 0.5)).toBeCloseTo(-0.25, 12);
    expect(overlongPenalty(20, 20, 0, 1)).toBe(0);
  });
});
