export { encodeSafetensors, decodeSafetensors, writeSafetensors, readSafetensors } from './safetensors';
export type { NamedTensor, SafeDtype, SafetensorsFile } from './safetensors';
export { writeCheckpoint, readCheckpoint, checkTensorShapes, CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE } from './checkpoint';
export type { CheckpointContents, LoadedCheckpoint } from './checkpoint';
