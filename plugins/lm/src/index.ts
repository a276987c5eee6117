import { definePackage } from '@rlhfjs/core';
import { gptAgent } from './plugins/gpt-agent';
import { pretrainPlugin } from './jobs/pretrain';
import { promptsEnvironment } from './environment';
import { evalPromptsJob } from './corpus';
import { corpusTextJob } from './corpus/corpus-text-job';

export { GPTModel } from './model/gpt';
export type { LayerCache } from './model/gpt';
export { validateConfig, parameterCount, MODEL_TYPE } from './model/config';
export type { GPTConfig } from './model/config';
export { initWeights, weightShapes } from './model/init';
export { loadPolicy, saveModel, toCheckpointConfig, fromCheckpointConfig } from './model/checkpoint-io';
export { ensureGradients } from './model/gradients';
export { generate, checkSampling } from './generation/generate';
export type { GenerateOptions } from './generation/generate';
export { sampleToken } from './generation/sample';
export { PretrainJob, pretrainOptionsSchema } from './jobs/pretrain';
export { warmupCosine } from './jobs/schedule';
export { packSentences } from './jobs/packing';
export { ByteBPETokenizer } from './tokenizer/byte-bpe';
export { HfTokenizer, loadHfTokenizer, saveTokenizerFiles, assertVocabFits, ChatTemplate, chatPromptText, TOKENIZER_FILES, SUPPORTED_TOKENIZER_MODELS } from './tokenizer';
export type { EncodeOptions, DecodeOptions, LoadHfTokenizerOptions, ChatTemplateOptions } from './tokenizer';
export { gptAgent, pretrainPlugin };
export { gptAgentOptionsSchema, type GPTAgentOptions } from './plugins/gpt.options';
export { promptsOptionsSchema, type PromptsOptions } from './environment/prompts.options';
export { promptsEnvironment, PromptEnvironment } from './environment';
export { evalPromptsJob, loadCorpus, corpusSpecSchema, buildEvalPrompts, writeEvalPrompts } from './corpus';
export { corpusTextJob, CorpusTextJob, corpusTextOptionsSchema } from './corpus/corpus-text-job';
export { writeCheckpoint, readCheckpoint, checkTensorShapes } from './checkpoint';

/** The package's plugins: data only, nothing registers on import. */
export default definePackage({ plugins: [gptAgent, pretrainPlugin, promptsEnvironment, evalPromptsJob, corpusTextJob] });
