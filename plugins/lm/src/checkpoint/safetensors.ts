/** The safetensors reader and writer live in core (run checkpoints use them too). */
export { encodeSafetensors, decodeSafetensors, writeSafetensors, readSafetensors } from '@rlhfjs/core';
export type { NamedTensor, SafeDtype, SafetensorsFile } from '@rlhfjs/core';
