export { ByteBPETokenizer, END_OF_TEXT } from './byte-bpe';
export type { ByteBPETrainOptions, TokenizerJson, AddedToken } from './byte-bpe';
export { BYTE_TO_CHAR, CHAR_TO_BYTE, GPT2_PATTERN, preTokenize, toByteLevel } from './byte-level';
export { HfTokenizer, loadHfTokenizer, saveTokenizerFiles, assertVocabFits, TOKENIZER_FILES, TOKENIZER_JSON, TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP, CHAT_TEMPLATE_JINJA, CHAT_TEMPLATE_JSON, GENERATION_CONFIG, SUPPORTED_TOKENIZER_MODELS } from './hf-tokenizer';
export type { EncodeOptions, DecodeOptions, LoadHfTokenizerOptions } from './hf-tokenizer';
export { ChatTemplate } from './chat-template';
export type { ChatTemplateOptions, ChatTemplateSource } from './chat-template';
export { chatPromptText } from './chat-template';
