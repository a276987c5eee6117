const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-wasm');
const lm = require('../../plugins/lm/dist/index.js');
const { Rng } = require('../../core/dist/index.js');
(async () => {
  await tf.setBackend('wasm');
  const V = +process.argv[2] || 4096, L = +process.argv[3] || 4;
  const tok = { vocabSize: V, eosId: 0, padId: 0, bosId: 0, encode: () => [], decode: () => '' };
  const config = lm.validateConfig({ vocabSize: V, contextSize: 64, dModel: 128, nLayers: L, nHeads: 4, dMlp: 512 });
  const m = new lm.GPTModel(tf, config, tok, lm.initWeights(config, new Rng(1)));
  const B = 16, T = 64;
  const ids = tf.tensor2d(Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V), [B, T], 'int32');
  const mask = tf.ones([B, T]);
  const vars = m.trainableVariables();
  const loss = () => tf.neg(tf.mean(m.forward({ ids, attentionMask: mask }).logprobs));
  for (let k = 0; k < 2; k++) { const r = tf.variableGrads(loss, vars); tf.dispose([r.value, ...Object.values(r.grads)]); }
  let t0 = Date.now();
  for (let k = 0; k < 3; k++) tf.tidy(() => loss().dataSync());
  const fwd = (Date.now() - t0) / 3;
  t0 = Date.now();
  for (let k = 0; k < 3; k++) { const r = tf.variableGrads(loss, vars); r.value.dataSync(); tf.dispose([r.value, ...Object.values(r.grads)]); }
  const step = (Date.now() - t0) / 3;
  const prof = await tf.profile(() => { const r = tf.variableGrads(loss, vars); r.value.dataSync(); tf.dispose([r.value, ...Object.values(r.grads)]); });
  const agg = {};
  for (const k of prof.kernels) { agg[k.name] = (agg[k.name] || 0) + k.kernelTimeMs; }
  console.log(JSON.stringify({ V, L, fwd, step, top: Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${k}:${Math.round(v)}`) }));
})();
