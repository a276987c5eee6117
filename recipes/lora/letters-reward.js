// A toy reward for the smoke recipe: the share of letters among a completion's characters.
// (samples, ctx) => one number per sample, as the `function` reward plugin expects.
exports.reward = (samples) => samples.map((s) => {
  const text = s.completion;
  if (!text.length) return 0;
  let letters = 0;
  for (const ch of text) if (/[a-z]/i.test(ch)) letters++;
  return letters / text.length;
});
