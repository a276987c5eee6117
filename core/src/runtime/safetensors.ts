import * as fs from 'node:fs';
import { DiagnosticError } from '../diagnostics';

/** A tensor's bytes, independent of any backend. */
export interface HostTensor {
  dtype: 'F32' | 'I32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/**
 * Encode tensors in the safetensors format: an 8-byte little-endian header length, a JSON
 * header (dtype, shape, data_offsets per tensor, optional `__metadata__` of strings) padded
 * with spaces to a multiple of 8, then the raw little-endian data.
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, HostTensor>, metadata?: Record<string, string>): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: ${name} has shape [${t.shape}] but ${t.data.length} values`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
    pos += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(buf: Buffer, file = '<buffer>'): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const bad = (why: string): never => {
    throw new DiagnosticError({ code: 'checkpoint/corrupt', file, message: `not a valid safetensors file: ${why}`, fix: 'the file is damaged or was not written by a safetensors writer; restore it from the checkpoint it came from' }, { exitCode: 1 });
  };
  if (buf.length < 8) bad('shorter than its 8-byte header length');
  const n = Number(buf.readBigUInt64LE(0));
  if (n <= 0 || 8 + n > buf.length) bad(`header length ${n} does not fit in ${buf.length} bytes`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return bad('the header is not JSON');
  }
  const base = 8 + n;
  const tensors = new Map<string, HostTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32' && dtype !== 'I32') bad(`tensor ${name} has dtype ${dtype}; only F32 and I32 are read`);
    const [a, b] = data_offsets ?? [];
    if (!(a >= 0 && b >= a && base + b <= buf.length)) bad(`tensor ${name} has data offsets outside the file`);
    const count = shape.reduce((x, y) => x * y, 1);
    if (count * 4 !== b - a) bad(`tensor ${name}: shape [${shape}] needs ${count * 4} bytes, the header gives ${b - a}`);
    const bytes = new Uint8Array(b - a);
    bytes.set(buf.subarray(base + a, base + b));
    tensors.set(name, { dtype: dtype as 'F32' | 'I32', shape, data: dtype === 'F32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer) });
  }
  return { tensors, metadata };
}

export function readSafetensorsFile(file: string): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new DiagnosticError({ code: 'checkpoint/missing', file, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, fix: 'check the checkpoint path' }, { exitCode: 1 });
  }
  return decodeSafetensors(buf, file);
}
