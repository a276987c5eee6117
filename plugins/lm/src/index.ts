import { definePackage } from '@rlhfjs/core';
import { gptAgent } from './plugins/gpt-agent';
import { pretrainPlugin } from './jobs/pretrain';
import { promptsEnvironment } from './environment';
import { evalPromptsJob } from './corpus';

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
export { gptAgent, pretrainPlugin };
export { gptAgentOptionsSchema, type GPTAgentOptions } from './plugins/gpt.options';
export { promptsOptionsSchema, type PromptsOptions } from './environment/prompts.options';
export { promptsEnvironment, PromptEnvironment } from './environment';
export { evalPromptsJob, loadCorpus, corpusSpecSchema, buildEvalPrompts, writeEvalPrompts } from './corpus';
export { writeCheckpoint, readCheckpoint, checkTensorShapes } from './checkpoint';
export { LoraAdapters, loraLinear, matchesTarget, mergedWeight, peftTensorNames, type LoraModuleSpec, type LoraPair, type LoraSettings } from './lora/adapters';
export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, adapterFiles, hasAdapter, readAdapter, toPeftConfig, type LoadedAdapter, type PeftLoraConfig } from './lora/peft-format';
export { mergeGptLora } from './lora/merge';
export { gptLoraModules, gptWeightOfModule, type GPTModelParts } from './model/gpt';
export { gptFootprint, loraParameterCount } from './model/footprint';

/** The package's plugins: data only, nothing registers on import. */
export default definePackage({ plugins: [gptAgent, pretrainPlugin, promptsEnvironment, evalPromptsJob] });
