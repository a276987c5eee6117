// The reward of recipes/example.yaml, through the `function` reward of @rlhfjs/plugin-rewards:
// 1 for each of the words "the" and "and" a completion holds (0, 1 or 2).
module.exports = (samples) => samples.map((s) => (/\bthe\b/i.test(s.completion) ? 1 : 0) + (/\band\b/i.test(s.completion) ? 1 : 0));
