import { DiagnosticError } from '../diagnostics';
import { WASM_HEAP_MAX, assertPlanFits, planMemory, type MemoryPlanInput, type ModelFootprint } from './memory-plan';

// GPT-2 small's shape: 124,439,808 parameters with tied embeddings (wte 50257·768 + wpe 1024·768 + 12 blocks + ln_f)
const GPT2: ModelFootprint = { parameters: 124_439_808, trainableParameters: 124_439_808, nLayers: 12, dModel: 768, nHeads: 12, dMlp: 3072, vocabSize: 50257, contextSize: 1024, lora: false };

function input(over: Partial<MemoryPlanInput> = {}, policy: Partial<ModelFootprint> = {}): MemoryPlanInput {
  return { policy: { ...GPT2, ...policy }, rewards: [], minibatchSize: 1, rolloutBatch: 1, maxNewTokens: 32, backend: 'wasm', reference: true, ...over };
}

describe('memory plan', () => {
  it('counts weights, the reference copy, gradients and Adam moments in float32 for full fine-tuning', () => {
    const p = planMemory(input({}, { contextSize: 64 }));
    const P = 124_439_808;
    expect(p.parts.policyWeights).toBe(4 * P);
    expect(p.parts.referenceWeights).toBe(4 * P);
    expect(p.parts.gradients).toBe(4 * P);
    expect(p.parts.adamMoments).toBe(8 * P);
    // training activations at B 1, S 64: 2·(4·[12·64·(12·768 + 5·3072) + 3·12·12·64²] + 4·5·64·50257)
    expect(p.parts.trainingActivations).toBe(2 * (4 * (12 * 64 * (12 * 768 + 5 * 3072) + 3 * 12 * 12 * 64 * 64) + 4 * 5 * 64 * 50257));
    // peak RSS: tensors + a host copy and an encoded file of Adam's moments (2·8·P > 2·4·P) while saving + 100 MiB
    expect(p.rssBytes).toBe(p.peakBytes + 16 * P + 100 * 2 ** 20);
    expect(p.peakBytes).toBe(20 * P + p.parts.trainingActivations);
  });

  it('with LoRA the reference and the frozen base cost no extra memory', () => {
    const T = 12 * 16 * (768 + 3 * 768) + 769;
    const p = planMemory(input({}, { contextSize: 64, lora: true, parameters: 124_439_808 + T - 769, trainableParameters: T }));
    expect(p.parts.referenceWeights).toBe(0);
    expect(p.parts.gradients + p.parts.adamMoments).toBe(12 * T);
    // with few trainable weights, saving the policy (2·4·P) sets the host copies
    expect(p.rssBytes).toBe(p.peakBytes + 8 * (124_439_808 + T - 769) + 100 * 2 ** 20);
  });

  it('refuses a run over the wasm heap, naming the limit, the estimate and the options that help', () => {
    const over = input({ minibatchSize: 8 });
    const p = planMemory(over);
    expect(p.fits).toBe(false);
    expect(p.limitBytes).toBe(WASM_HEAP_MAX);
    try {
      assertPlanFits(p, over);
      throw new Error('not refused');
    } catch (e) {
      expect(DiagnosticError.is(e)).toBe(true);
      const d = (e as DiagnosticError).diagnostics[0];
      expect(d.code).toBe('plan/over-memory');
      expect(d.message).toContain('4294901760 bytes');
      expect(d.message).toMatch(/needs about [\d.]+ MiB/);
      expect(d.fix).toMatch(/agent\.options\.lora/);
      expect(d.fix).toMatch(/minibatchSize \(now 8/);
    }
    // no fixed limit on the tensorflow backend
    expect(planMemory({ ...over, backend: 'tensorflow' }).fits).toBe(true);
  });
});
