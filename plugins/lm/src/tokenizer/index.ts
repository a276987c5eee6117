export { ByteBPETokenizer, END_OF_TEXT } from './byte-bpe';
export type { ByteBPETrainOptions, TokenizerJson, AddedToken } from './byte-bpe';
export { BYTE_TO_CHAR, CHAR_TO_BYTE, GPT2_PATTERN, preTokenize, toByteLevel } from './byte-level';
