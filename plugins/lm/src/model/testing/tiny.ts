import type { Tokenizer, TF } from '@rlhfjs/core';
import { Rng } from '@rlhfjs/core';
import { ByteBPETokenizer } from '../../tokenizer/byte-bpe';
import { validateConfig, type GPTConfig } from '../config';
import { GPTModel } from '../gpt';
import { initWeights } from '../init';

const TEXT = [
  'the cat sat on the mat and the dog sat on the log',
  'a quick brown fox jumps over the lazy dog',
  'we went to the shop and bought some bread and milk',
  'lol that was so funny omg haha',
];

/** A small trained tokenizer for unit tests (deterministic). */
export function tinyTokenizer(vocabSize = 300): ByteBPETokenizer {
  const texts: string[] = [];
  for (let i = 0; i < 20; i++) texts.push(...TEXT);
  return ByteBPETokenizer.train(texts, { vocabSize });
}

/** A randomly initialised small model for unit tests. */
export function tinyModel(tf: TF, over: Partial<GPTConfig> = {}, seed = 7, tokenizer: Tokenizer = tinyTokenizer()): GPTModel {
  const config = validateConfig({
    vocabSize: tokenizer.vocabSize,
    contextSize: 32,
    dModel: 32,
    nLayers: 2,
    nHeads: 4,
    dMlp: 64,
    tieEmbeddings: true,
    valueHead: false,
    dropout: 0,
    ...over,
  });
  return new GPTModel(tf, config, tokenizer, initWeights(config, new Rng(seed)));
}
