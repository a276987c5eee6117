#!/usr/bin/env node
/**
 * Time of one algorithm update (old log-probs + every minibatch step) on the wasm backend, for the
 * benchmarks' reference model (vocab 512, d_model 128, 2 layers, 4 heads, context 64), 16 samples of
 * up to 48 generated tokens. Prints one line per algorithm: median ms per update and per gradient step.
 *
 *   npm run build && nice node plugins/algorithms/bench/update-time.js [repeats]
 */
const path = require('node:path');
const root = path.resolve(__dirname, '..', '..', '..');
const core = require(path.join(root, 'core'));
const lm = require(path.join(root, 'plugins', 'lm'));
const algos = require(path.join(root, 'plugins', 'algorithms'));
const { container } = require('tsyringe');

async function main() {
  const repeats = Number(process.argv[2] ?? 3);
  const runtime = await core.createTensorRuntime({ backend: 'wasm', nativeKernels: 'forbid' });
  const tf = runtime.tf;
  const text = ['the cat sat on the mat and the dog ran to the park', 'a small bird sang a song in the tall green tree', 'we walked home slowly after the long day at work'];
  const tok = lm.ByteBPETokenizer.train(Array.from({ length: 20 }, () => text).flat(), { vocabSize: 300 });
  const prompts = ['the cat', 'a small bird', 'we walked', 'the dog ran'].map((t) => [tok.bosId ?? tok.eosId, ...tok.encode(t)]);
  const sampling = { maxNewTokens: 48, temperature: 1, topK: 0, topP: 1, stop: [] };
  const pkg = algos.default;
  const cases = [
    ['ppo', { promptsPerIteration: 16, minibatchSize: 8, epochs: 4, learningRate: 3e-4 }, true],
    ['reinforce', { promptsPerIteration: 16, learningRate: 3e-4 }, false],
    ['rloo', { promptsPerIteration: 4, samplesPerPrompt: 4, learningRate: 3e-4 }, false],
    ['grpo', { promptsPerIteration: 4, samplesPerPrompt: 4, learningRate: 3e-4 }, false],
  ];
  console.log(`backend ${tf.getBackend()}, model vocab 512 d 128 layers 2 heads 4 context 64, 16 samples × up to ${sampling.maxNewTokens} new tokens`);
  for (const [name, opts, valueHead] of cases) {
    const config = lm.validateConfig({ vocabSize: 512, contextSize: 64, dModel: 128, nLayers: 2, nHeads: 4, dMlp: 512, tieEmbeddings: true, valueHead, dropout: 0 });
    const policy = new lm.GPTModel(tf, config, tok, lm.initWeights(config, new core.Rng(1)));
    const reference = policy.frozenCopy();
    const c = container.createChildContainer();
    c.register(core.Tokens.Runtime, { useValue: runtime });
    c.register(core.Tokens.Policy, { useValue: policy });
    c.register(core.Tokens.Rng, { useValue: new core.Rng(1) });
    const plugin = pkg.plugins.find((p) => p.kind === 'algorithm' && p.name === name);
    const Ajv = require('ajv/dist/2020').default;
    const options = JSON.parse(JSON.stringify(opts));
    new Ajv({ useDefaults: true, strict: false }).compile(plugin.options)(options);
    const algo = await plugin.create({ options, container: c, resolvePath: (p) => p, pointer: '/algorithm' });
    const rng = new core.Rng(2);
    const times = [];
    let steps = 0;
    let tokens = 0;
    for (let i = 0; i <= repeats; i++) {
      const rows = [];
      for (let p = 0; p < algo.batch.promptsPerIteration; p++) for (let k = 0; k < algo.batch.samplesPerPrompt; k++) rows.push(prompts[p % prompts.length]);
      const rollout = await policy.generate(rows, sampling, rng);
      const packed = core.packRollout(tf, rollout, tok.padId);
      const lp = tf.tidy(() => reference.forward(packed.batch).logprobs);
      const refLogprobs = core.responseColumns(lp.arraySync(), packed);
      lp.dispose();
      core.disposePacked(packed);
      const scores = rollout.responseIds.map((r) => r.length / sampling.maxNewTokens);
      const t0 = performance.now();
      const res = await algo.update({ rollout, scores, refLogprobs, beta: 0.1, iteration: i });
      const ms = performance.now() - t0;
      if (i > 0) {
        times.push(ms);
        steps = res.metrics['ppo/steps'] ?? 1;
        tokens = rollout.responseIds.reduce((a, r) => a + r.length, 0);
      }
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)];
    console.log(`${name.padEnd(10)} ${med.toFixed(0).padStart(6)} ms/update  ${(med / steps).toFixed(0).padStart(5)} ms/gradient step  (${steps} steps, ${tokens} response tokens, median of ${times.length})`);
    policy.dispose();
    reference.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
