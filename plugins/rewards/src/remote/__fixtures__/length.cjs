// Reward = completion length in characters; throws on a completion containing "boom".
module.exports = function lengthReward(samples, ctx) {
  return samples.map((s) => {
    if (s.completion.includes('boom')) throw new Error('cannot score an explosion');
    return s.completion.length + (ctx.step === 99 ? 1000 : 0);
  });
};
module.exports.asyncHalf = async (samples) => samples.map((s) => s.completion.length / 2);
module.exports.wrongShape = (samples) => ({ scores: samples.map(() => 1) });
module.exports.tooFew = (samples) => samples.slice(1).map(() => 1);
module.exports.notFinite = (samples) => samples.map((s, i) => (i === 1 ? Number.NaN : 1));
module.exports.batchOnly = (samples) => {
  if (samples.length > 2) throw new Error('too many at once');
  return samples.map(() => 0);
};
