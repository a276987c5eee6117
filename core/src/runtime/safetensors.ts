/**
 * The safetensors format (https://github.com/huggingface/safetensors):
 *
 *   [8 bytes: N, unsigned little-endian 64-bit] [N bytes: UTF-8 JSON header] [data buffer]
 *
 * The header maps each tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets into the
 * data buffer, which they must cover without holes or overlaps), plus an optional `__metadata__`
 * object of string → string. The header is padded with spaces so the data buffer starts at a
 * multiple of 8 bytes. Tensor data is little-endian, row-major.
 */
import * as os from 'node:os';
import { DiagnosticError } from '../diagnostics';
import { atomicWriteFileSync } from './atomic';
import { readFileChecked } from './read-file';

export type SafeDtype = 'F32' | 'I32';

export interface NamedTensor {
  dtype: SafeDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

/** The header may not exceed this size (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
const BYTES: Record<SafeDtype, number> = { F32: 4, I32: 4 };

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('safetensors I/O here assumes a little-endian host');
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encode tensors in safetensors layout (tensors in name order). */
export function encodeSafetensors(tensors: Map<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  assertLittleEndian();
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`safetensors metadata "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new TypeError('"__metadata__" is reserved and cannot name a tensor');
    const t = tensors.get(name) as NamedTensor;
    if (t.dtype !== 'F32' && t.dtype !== 'I32') throw new TypeError(`tensor "${name}": dtype ${String(t.dtype)} is not F32 or I32`);
    if (t.dtype === 'F32' && !(t.data instanceof Float32Array)) throw new TypeError(`tensor "${name}": F32 needs a Float32Array`);
    if (t.dtype === 'I32' && !(t.data instanceof Int32Array)) throw new TypeError(`tensor "${name}": I32 needs an Int32Array`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new TypeError(`tensor "${name}": shape [${t.shape}] must hold non-negative integers`);
    if (numel(t.shape) !== t.data.length) {
      throw new TypeError(`tensor "${name}": shape [${t.shape}] holds ${numel(t.shape)} values but the data has ${t.data.length}`);
    }
    const size = t.data.length * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  const padded = Math.ceil((8 + raw.length) / 8) * 8 - 8;
  json += ' '.repeat(padded - raw.length);
  const headerBytes = new TextEncoder().encode(json);

  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name) as NamedTensor;
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** Write a safetensors file atomically. */
export function writeSafetensors(file: string, tensors: Map<string, NamedTensor>, metadata?: Record<string, string>): void {
  atomicWriteFileSync(file, encodeSafetensors(tensors, metadata));
}

function corrupt(file: string, message: string, pointer?: string): DiagnosticError {
  return new DiagnosticError({
    code: 'checkpoint/corrupt-safetensors',
    message: `${file}: ${message}`,
    file,
    pointer,
    fix: 'The file is damaged or not a safetensors file; write the checkpoint again or restore it from a copy.',
  });
}

/** Parse safetensors bytes; `file` names the source in errors. Tensors are copied out (aligned). */
export function decodeSafetensors(bytes: Uint8Array, file = '<memory>'): SafetensorsFile {
  assertLittleEndian();
  if (bytes.length < 8) throw corrupt(file, `only ${bytes.length} bytes; a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw corrupt(file, `header length ${n64} exceeds ${MAX_HEADER} bytes`);
  const n = Number(n64);
  if (8 + n > bytes.length) throw corrupt(file, `header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw corrupt(file, 'the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw corrupt(file, 'the header does not start with "{"');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw corrupt(file, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt(file, 'the header is not a JSON object');

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors = new Map<string, NamedTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) throw corrupt(file, '__metadata__ is not an object', '/__metadata__');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw corrupt(file, `__metadata__.${k} is not a string`, `/__metadata__/${k}`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const ptr = `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (e?.dtype !== 'F32' && e?.dtype !== 'I32') {
      throw new DiagnosticError({
        code: 'checkpoint/unsupported-dtype',
        message: `${file}: tensor "${name}" has dtype ${JSON.stringify(e?.dtype)}; only F32 and I32 are read`,
        file,
        pointer: `${ptr}/dtype`,
        fix: 'Convert the tensor to float32 (or int32) before saving, e.g. `t.float()` in PyTorch.',
      });
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw corrupt(file, `tensor "${name}" has a bad shape ${JSON.stringify(e.shape)}`, `${ptr}/shape`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1]) {
      throw corrupt(file, `tensor "${name}" has bad data_offsets ${JSON.stringify(off)}`, `${ptr}/data_offsets`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLen) throw corrupt(file, `tensor "${name}" ends at byte ${end} of a ${dataLen}-byte data buffer (file truncated?)`, `${ptr}/data_offsets`);
    const shape = e.shape as number[];
    const count = numel(shape);
    if ((end - begin) !== count * BYTES[e.dtype]) {
      throw corrupt(file, `tensor "${name}": shape [${shape}] needs ${count * BYTES[e.dtype]} bytes but data_offsets span ${end - begin}`, `${ptr}/data_offsets`);
    }
    const copy = bytes.slice(dataStart + begin, dataStart + end);
    const data = e.dtype === 'F32' ? new Float32Array(copy.buffer, 0, count) : new Int32Array(copy.buffer, 0, count);
    tensors.set(name, { dtype: e.dtype, shape, data });
    spans.push({ name, begin, end });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const s of spans) {
    if (s.begin !== at) throw corrupt(file, `tensor "${s.name}" starts at byte ${s.begin}, expected ${at}: the data buffer has a hole or an overlap`);
    at = s.end;
  }
  if (at !== dataLen) throw corrupt(file, `the data buffer has ${dataLen} bytes but the tensors cover ${at}`);
  return { tensors, metadata };
}

/** Read a safetensors file, with errors that name it. */
export function readSafetensors(file: string): SafetensorsFile {
  const bytes = readFileChecked(file, { code: 'checkpoint/missing-file', fix: 'Check the checkpoint path; a complete checkpoint holds config.json, tokenizer.json and model.safetensors.' });
  return decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}
