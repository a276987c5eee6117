import { accuracy, auc, bceWithLogit, bradleyTerryLoss, logSigmoid, pairwiseAccuracy } from './metrics';

test('accuracy thresholds the score', () => {
  expect(accuracy([2, -1, 0.5, -3], [1, 0, 0, 0])).toBe(0.75);
  expect(accuracy([0.7, 0.2], [1, 0], 0.5)).toBe(1);
});

test('AUC by hand: positives {0.9, 0.4}, negatives {0.5, 0.1, 0.4}', () => {
  // pairs (pos, neg): 0.9 beats all 3; 0.4 beats 0.1, ties 0.4 (½), loses to 0.5 → (3 + 1.5) / 6
  expect(auc([0.9, 0.5, 0.1, 0.4, 0.4], [1, 0, 0, 1, 0])).toBeCloseTo(0.75, 12);
  expect(auc([1, 2, 3], [0, 1, 1])).toBe(1);
  expect(auc([1, 2, 3], [1, 0, 0])).toBe(0);
  expect(auc([1, 2], [1, 1])).toBeNaN();
});

test('pairwise accuracy counts ties as half', () => {
  expect(pairwiseAccuracy([1, 0, 2], [0, 0, 3])).toBeCloseTo(0.5, 12);
});

test('Bradley–Terry and cross-entropy values worked out by hand', () => {
  // −log σ(0) = log 2
  expect(bradleyTerryLoss(1.5, 1.5)).toBeCloseTo(Math.log(2), 12);
  // −log σ(2) = log(1 + e^−2) = 0.126928011…
  expect(bradleyTerryLoss(3, 1)).toBeCloseTo(0.1269280110429725, 12);
  // with a margin of 1: −log σ(1) = 0.313261687…
  expect(bradleyTerryLoss(3, 1, 1)).toBeCloseTo(0.31326168751822286, 12);
  expect(bceWithLogit(0, 1)).toBeCloseTo(Math.log(2), 12);
  // label 0, logit 2: −log(1 − σ(2)) = −log σ(−2) = 2.126928011…
  expect(bceWithLogit(2, 0)).toBeCloseTo(2.1269280110429727, 12);
  expect(logSigmoid(-800)).toBe(-800);
  expect(logSigmoid(800)).toBe(-0);
});
