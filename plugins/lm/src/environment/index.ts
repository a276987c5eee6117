export { promptsEnvironment } from './prompts-plugin';
export { PromptEnvironment } from './prompt-environment';
export type { PromptEnvironmentState } from './prompt-environment';
export { promptsFromFile, promptsFromCorpus, cutSentence, splitPrompts, truncatePrompt } from './prompt-sources';
export type { FilePromptOptions, CutOptions } from './prompt-sources';
