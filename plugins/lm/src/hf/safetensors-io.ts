/**
 * Hugging Face safetensors weights, read lazily and written in their original dtype.
 *
 * File layout (as core/src/runtime/safetensors.ts reads it): 8 bytes N (unsigned little-endian
 * 64-bit), N bytes of JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"? }`,
 * then the data buffer; offsets are relative to the start of the data buffer. A sharded checkpoint
 * has `model.safetensors.index.json` = `{ "metadata": {...}, "weight_map": { name: shard file } }`.
 *
 * Reading takes the headers first (so every name, shape and dtype can be checked before anything is
 * loaded), then one tensor's byte range at a time, converted to float32:
 *   F16:  sign · 2^(e−15) · (1 + m/1024)  (subnormals 2^−14 · m/1024), via a bit-level conversion;
 *   BF16: the upper 16 bits of a float32, so `bits << 16` reinterpreted as float32.
 * Writing converts back: float32 → BF16 rounds to nearest, ties to even; float32 → F16 likewise.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError } from '@rlhfjs/core';

export type HFDtype = 'F32' | 'F16' | 'BF16';
const BYTES: Record<HFDtype, number> = { F32: 4, F16: 2, BF16: 2 };
export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
const MAX_HEADER = 100_000_000;

/** One tensor of a checkpoint: where its bytes are. */
export interface TensorEntry {
  name: string;
  file: string;
  dtype: HFDtype;
  shape: number[];
  /** Absolute byte range in `file`. */
  begin: number;
  end: number;
}

/** The weights of a model folder: every tensor's place, and the file layout to write back. */
export interface WeightsLayout {
  entries: Map<string, TensorEntry>;
  /** Tensor name → file name (relative), for a sharded checkpoint; undefined for a single file. */
  weightMap?: Record<string, string>;
  indexMetadata?: Record<string, unknown>;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function pickleAdvice(dir: string, file: string): DiagnosticError {
  return new DiagnosticError({
    code: 'hf/pickle-weights',
    file: path.join(dir, file),
    message: `${dir} holds PyTorch pickle weights (${file}) and no model.safetensors; pickle files are not read (they can run code when loaded)`,
    fix:
      'Convert the weights to safetensors once, in Python: ' +
      '`import torch; from safetensors.torch import save_file; ' +
      `sd = torch.load("${file}", map_location="cpu"); ` +
      'save_file({k: v.contiguous() for k, v in sd.items()}, "model.safetensors", metadata={"format": "pt"})` ' +
      '(tied tensors must be saved once: drop "lm_head.weight" when it equals the embedding), ' +
      'or `AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)` with transformers.',
  });
}

/** Read one safetensors header, checking it against the file size. */
export function readHeader(file: string): Map<string, TensorEntry> {
  if (os.endianness() !== 'LE') throw new Error('safetensors reading here assumes a little-endian host');
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new DiagnosticError({ code: 'hf/missing-weights', file, message: `${file} cannot be opened (${(e as Error).message})`, fix: 'Download every weight file the model folder lists (model.safetensors.index.json names the shards).' });
  }
  const corrupt = (what: string) =>
    new DiagnosticError({ code: 'hf/corrupt-safetensors', file, message: `${file} is not a valid safetensors file: ${what}`, fix: 'Download the file again (it may be cut short or a Git LFS pointer).' });
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) throw corrupt(`only ${size} bytes`);
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const n = Number(lenBuf.readBigUInt64LE(0));
    if (n > MAX_HEADER || 8 + n > size) throw corrupt(`header length ${n} does not fit in ${size} bytes`);
    const hb = Buffer.alloc(n);
    fs.readSync(fd, hb, 0, n, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(hb.toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      throw corrupt(`header is not JSON (${(e as Error).message})`);
    }
    const base = 8 + n;
    const out = new Map<string, TensorEntry>();
    for (const [name, v] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const info = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof info.dtype !== 'string' || !(info.dtype in BYTES)) {
        throw new DiagnosticError({
          code: 'hf/unknown-dtype',
          file,
          message: `${file}: tensor "${name}" has dtype ${JSON.stringify(info.dtype)}; only F32, F16 and BF16 weights are read`,
          fix: 'Save the model in float32, float16 or bfloat16 (e.g. `model.to(torch.float32).save_pretrained(dir)` with transformers); quantised checkpoints are not supported.',
        });
      }
      const dtype = info.dtype as HFDtype;
      const shape = info.shape as number[];
      const off = info.data_offsets as number[];
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(off) || off.length !== 2) throw corrupt(`bad entry for tensor "${name}"`);
      const [b, e] = off;
      if (!(Number.isInteger(b) && Number.isInteger(e) && b >= 0 && e >= b && base + e <= size) || e - b !== numel(shape) * BYTES[dtype]) {
        throw corrupt(`tensor "${name}" byte range [${b}, ${e}) does not match its shape [${shape}] ${dtype} in a file of ${size} bytes`);
      }
      out.set(name, { name, file, dtype, shape, begin: base + b, end: base + e });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Every tensor of a model folder (single file or sharded), headers only. */
export function readWeightsLayout(dir: string): WeightsLayout {
  const single = path.join(dir, SINGLE_FILE);
  const index = path.join(dir, INDEX_FILE);
  if (fs.existsSync(index)) {
    let idx: { weight_map?: Record<string, string>; metadata?: Record<string, unknown> };
    try {
      idx = JSON.parse(fs.readFileSync(index, 'utf8')) as typeof idx;
    } catch (e) {
      throw new DiagnosticError({ code: 'hf/bad-json', file: index, message: `${index} is not valid JSON (${(e as Error).message})`, fix: 'Download the file again.' });
    }
    const map = idx.weight_map;
    if (!map || typeof map !== 'object') throw new DiagnosticError({ code: 'hf/bad-index', file: index, pointer: '/weight_map', message: `${index} has no "weight_map"`, fix: 'Download the file again.' });
    const shards = [...new Set(Object.values(map))];
    const missing = shards.filter((s) => !fs.existsSync(path.join(dir, s)));
    if (missing.length > 0) {
      throw new DiagnosticError(
        missing.map((s) => ({
          code: 'hf/missing-shard',
          file: path.join(dir, s),
          message: `${index} lists the shard ${s} (tensors ${Object.keys(map).filter((k) => map[k] === s).slice(0, 3).join(', ')}…), which is not in ${dir}`,
          fix: `Download ${s} into ${dir}.`,
        })),
      );
    }
    const entries = new Map<string, TensorEntry>();
    for (const s of shards) {
      for (const [name, e] of readHeader(path.join(dir, s))) {
        if (map[name] !== s) {
          throw new DiagnosticError({ code: 'hf/bad-index', file: index, pointer: `/weight_map/${name}`, message: `${index} places tensor "${name}" in ${map[name] ?? 'no shard'}, but it is in ${s}`, fix: 'Download the index and shards of the same revision.' });
        }
        entries.set(name, e);
      }
    }
    const absent = Object.keys(map).filter((k) => !entries.has(k));
    if (absent.length > 0) {
      throw new DiagnosticError({ code: 'hf/bad-index', file: index, pointer: `/weight_map/${absent[0]}`, message: `${index} lists tensor "${absent[0]}" in ${map[absent[0]]}, which does not hold it`, fix: 'Download the index and shards of the same revision.' });
    }
    return { entries, weightMap: { ...map }, indexMetadata: idx.metadata };
  }
  if (fs.existsSync(single)) return { entries: readHeader(single) };
  for (const bin of ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'model.bin']) if (fs.existsSync(path.join(dir, bin))) throw pickleAdvice(dir, bin);
  throw new DiagnosticError({ code: 'hf/missing-weights', file: single, message: `${dir} has no ${SINGLE_FILE} (nor a sharded ${INDEX_FILE})`, fix: 'Download the model weights in safetensors form into the folder.' });
}

/** Read one tensor's bytes and convert them to float32. */
export function readTensorF32(e: TensorEntry, fd?: number): Float32Array {
  const n = numel(e.shape);
  const own = fd === undefined;
  const f = own ? fs.openSync(e.file, 'r') : fd;
  try {
    if (e.dtype === 'F32') {
      const out = new Float32Array(n);
      fs.readSync(f, new Uint8Array(out.buffer), 0, n * 4, e.begin);
      return out;
    }
    const raw = new Uint16Array(n);
    fs.readSync(f, new Uint8Array(raw.buffer), 0, n * 2, e.begin);
    const out = new Float32Array(n);
    if (e.dtype === 'BF16') {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = raw[i] << 16;
    } else {
      for (let i = 0; i < n; i++) out[i] = f16ToF32(raw[i]);
    }
    return out;
  } finally {
    if (own) fs.closeSync(f);
  }
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → float16 bits, rounded to nearest, ties to even. */
export function f32ToF16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let v = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && v & 1)) v += 1;
    return sign | v;
  }
  let v = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && v & 1)) {
    v += 1;
    if (v === 0x400) {
      v = 0;
      e += 1;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | v;
}

/** float32 → bfloat16 bits, rounded to nearest, ties to even (NaN kept a NaN). */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Float32 values as the bytes of `dtype`. */
export function encodeAs(dtype: HFDtype, data: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint16Array(data.length);
  const conv = dtype === 'BF16' ? f32ToBf16 : f32ToF16;
  for (let i = 0; i < data.length; i++) out[i] = conv(data[i]);
  return new Uint8Array(out.buffer);
}

/** A tensor to write: name, dtype and shape on disk, and a function giving its float32 values in that shape. */
export interface TensorToWrite {
  name: string;
  dtype: HFDtype;
  shape: number[];
  data: () => Promise<Float32Array> | Float32Array;
}

/**
 * Write a safetensors file tensor by tensor (the header first, then each tensor's bytes as its
 * values arrive), so only one tensor's values are in host memory at a time. Returns the data size.
 */
export async function writeSafetensorsFile(file: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): Promise<number> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const t of tensors) {
    const len = numel(t.shape) * BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + len] };
    off += len;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    for (const t of tensors) {
      const v = await t.data();
      if (v.length !== numel(t.shape)) throw new Error(`writeSafetensorsFile: tensor "${t.name}" has ${v.length} values, its shape [${t.shape}] needs ${numel(t.shape)}`);
      fs.writeSync(fd, encodeAs(t.dtype, v));
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return off;
}
