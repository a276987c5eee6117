import type { TF } from '@rlhfjs/core';
import { ByteBPETokenizer, type GPTModel } from '@rlhfjs/plugin-lm';
import { tinyModel } from '@rlhfjs/plugin-lm/testing';

const TEXT = ['the cat sat on the mat', 'a dog ran to the log', 'we like bread and milk', 'so funny haha'];

let tokenizer: ByteBPETokenizer | undefined;

/** A byte-level BPE trained on a few made-up lines (deterministic), shared by the smoke tests. */
export function smokeTokenizer(): ByteBPETokenizer {
  tokenizer ??= ByteBPETokenizer.train(Array.from({ length: 10 }, () => TEXT).flat(), { vocabSize: 300 });
  return tokenizer;
}

/** The project's GPT at its smallest (plugin-lm's test model with one layer, two heads, context 24). */
export function tinyGpt(tf: TF, seed: number, valueHead = false): GPTModel {
  return tinyModel(tf, { contextSize: 24, nLayers: 1, nHeads: 2, valueHead }, seed, smokeTokenizer());
}
