import { Rng, type TF } from '@rlhfjs/core';
import { ByteBPETokenizer, GPTModel, initWeights, validateConfig } from '@rlhfjs/plugin-lm';

const TEXT = ['the cat sat on the mat', 'a dog ran to the log', 'we like bread and milk', 'so funny haha'];

let tokenizer: ByteBPETokenizer | undefined;

/** A byte-level BPE trained on a few made-up lines (deterministic), shared by the smoke tests. */
export function smokeTokenizer(): ByteBPETokenizer {
  tokenizer ??= ByteBPETokenizer.train(Array.from({ length: 10 }, () => TEXT).flat(), { vocabSize: 300 });
  return tokenizer;
}

/** The project's GPT at its smallest: d 32, one layer, two heads, context 24. */
export function tinyGpt(tf: TF, seed: number, valueHead = false): GPTModel {
  const tok = smokeTokenizer();
  const config = validateConfig({ vocabSize: tok.vocabSize, contextSize: 24, dModel: 32, nLayers: 1, nHeads: 2, dMlp: 64, tieEmbeddings: true, valueHead, dropout: 0 });
  return new GPTModel(tf, config, tok, initWeights(config, new Rng(seed)));
}
