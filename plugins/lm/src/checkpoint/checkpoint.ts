/**
 * A checkpoint directory: config.json + tokenizer.json + model.safetensors (+ extra files), written
 * atomically. The layout is documented in docs/checkpoint-format.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError, atomicWriteDir, readFileChecked } from '@rlhfjs/core';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { HfTokenizer, TOKENIZER_FILES, GENERATION_CONFIG } from '../tokenizer/hf-tokenizer';
import { encodeSafetensors, readSafetensors, type NamedTensor } from './safetensors';

export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const WEIGHTS_FILE = 'model.safetensors';
const RESERVED = new Set([CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE]);

export interface CheckpointContents {
  /** Architecture and loader fields; see docs/checkpoint-format.md. */
  config: object;
  /**
   * The tokenizer: a trained ByteBPETokenizer (written as tokenizer.json), a loaded HfTokenizer (its
   * files copied byte for byte: tokenizer.json, tokenizer_config.json, ...), or a tokenizer.json object.
   */
  tokenizer: ByteBPETokenizer | HfTokenizer | object;
  tensors: Map<string, NamedTensor>;
  /** Other files (relative paths) to place in the directory, e.g. `training_state.json`. */
  extraFiles?: Record<string, string | Uint8Array>;
  /** String metadata stored in the safetensors header. */
  metadata?: Record<string, string>;
}

export interface LoadedCheckpoint {
  dir: string;
  config: Record<string, unknown>;
  /** The tokenizer files of the folder, run by @huggingface/tokenizers. */
  tokenizer: HfTokenizer;
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

function toJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

function checkExtraName(name: string, reserved: ReadonlySet<string>): void {
  const norm = path.posix.normalize(name.replace(/\\/g, '/'));
  if (name.length === 0 || path.isAbsolute(name) || norm.startsWith('../') || norm === '..' || norm === '.') {
    throw new TypeError(`extra checkpoint file "${name}" must be a relative path inside the checkpoint directory`);
  }
  if (RESERVED.has(norm) || reserved.has(norm)) throw new TypeError(`extra checkpoint file "${name}" would overwrite a file the checkpoint writes itself`);
}

/**
 * Write a checkpoint directory. The directory appears complete or not at all: files are written into
 * a temporary sibling that is renamed into place (an existing checkpoint there is replaced).
 */
export async function writeCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const tok = contents.tokenizer;
  // a loaded tokenizer's files go back as they were read; a trained one or an object as tokenizer.json
  const tokenizerFiles: [string, string | Uint8Array][] = tok instanceof HfTokenizer
    ? [...tok.files()]
    : [[TOKENIZER_FILE, toJsonText(tok instanceof ByteBPETokenizer ? tok.toJSON() : tok)]];
  const extras = Object.entries(contents.extraFiles ?? {});
  const written = new Set(tokenizerFiles.map(([name]) => name));
  for (const [name] of extras) checkExtraName(name, written);
  const weights = encodeSafetensors(contents.tensors, { producer: '@rlhfjs/plugin-lm', ...contents.metadata });
  await atomicWriteDir(dir, (tmp) => {
    fs.writeFileSync(path.join(tmp, CONFIG_FILE), toJsonText(contents.config));
    for (const [name, data] of tokenizerFiles) fs.writeFileSync(path.join(tmp, name), data);
    fs.writeFileSync(path.join(tmp, WEIGHTS_FILE), weights);
    for (const [name, data] of extras) {
      const target = path.join(tmp, name);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, data);
    }
  });
}

function readJson(file: string): Record<string, unknown> {
  const text = readFileChecked(file, { code: 'checkpoint/missing-file', fix: 'A checkpoint directory holds config.json, tokenizer.json and model.safetensors; point at a complete one.' }).toString('utf8');
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new DiagnosticError({
      code: 'checkpoint/bad-json',
      message: `${file} is not a valid JSON object (${(e as Error).message})`,
      file,
      line,
      fix: 'Restore the file from the run that wrote it, or write the checkpoint again.',
    });
  }
}

/** Read a checkpoint directory written by {@link writeCheckpoint}. */
export function readCheckpoint(dir: string): LoadedCheckpoint {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch {
    stat = undefined;
  }
  if (!stat) {
    throw new DiagnosticError({
      code: 'checkpoint/missing-dir',
      message: `checkpoint directory ${dir} does not exist`,
      file: dir,
      fix: 'Check the path (relative paths in a recipe are resolved against the recipe file), or run the pretrain recipe first to create it.',
    });
  }
  if (!stat.isDirectory()) {
    throw new DiagnosticError({
      code: 'checkpoint/not-a-dir',
      message: `${dir} is a file, but a checkpoint is a directory`,
      file: dir,
      fix: `Point at the directory that holds ${CONFIG_FILE}, ${TOKENIZER_FILE} and ${WEIGHTS_FILE}.`,
    });
  }
  const config = readJson(path.join(dir, CONFIG_FILE));
  const tokenizer = readTokenizerFiles(dir);
  const { tensors, metadata } = readSafetensors(path.join(dir, WEIGHTS_FILE));
  return { dir, config, tokenizer, tensors, metadata };
}

/** The tokenizer files of a checkpoint folder (tokenizer.json required, the others when present). */
function readTokenizerFiles(dir: string): HfTokenizer {
  const files = new Map<string, Uint8Array>();
  const fix = 'A checkpoint directory holds config.json, tokenizer.json and model.safetensors; point at a complete one.';
  files.set(TOKENIZER_FILE, readFileChecked(path.join(dir, TOKENIZER_FILE), { code: 'checkpoint/missing-file', fix }));
  for (const name of [...TOKENIZER_FILES, GENERATION_CONFIG]) {
    const f = path.join(dir, name);
    if (!files.has(name) && fs.existsSync(f)) files.set(name, readFileChecked(f, { code: 'checkpoint/missing-file', fix }));
  }
  return new HfTokenizer(files, dir);
}

/**
 * Check that the checkpoint holds exactly the expected tensors with the expected shapes; throws one
 * DiagnosticError listing every missing, unexpected or misshapen tensor.
 */
export function checkTensorShapes(file: string, tensors: Map<string, NamedTensor>, expected: Map<string, readonly number[]>): void {
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing tensor "${name}" [${shape}]`);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) problems.push(`tensor "${name}" has shape [${t.shape}], the model expects [${shape}]`);
  }
  for (const name of tensors.keys()) if (!expected.has(name)) problems.push(`unexpected tensor "${name}"`);
  if (problems.length > 0) {
    throw new DiagnosticError(
      problems.map((p) => ({
        code: 'checkpoint/shape-mismatch',
        message: `${file}: ${p}`,
        file,
        fix: 'The weights do not match the architecture in config.json; load the checkpoint with the config it was saved with.',
      })),
    );
  }
}
