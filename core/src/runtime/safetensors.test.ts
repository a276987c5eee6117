import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError } from '../index';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type NamedTensor } from './safetensors';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-st-'));
}

function expectError(fn: () => unknown, pattern: RegExp): DiagnosticError {
  try {
    fn();
  } catch (e) {
    expect(DiagnosticError.is(e)).toBe(true);
    expect((e as Error).message).toMatch(pattern);
    return e as DiagnosticError;
  }
  throw new Error('expected a DiagnosticError');
}

describe('safetensors', () => {
  it('lays out bytes exactly as the spec says (worked by hand)', () => {
    const bytes = encodeSafetensors(new Map([['a', { dtype: 'F32', shape: [2], data: Float32Array.of(1, -2) }]]));
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes
    expect(json.length).toBe(54);
    // 8 + 54 = 62 → padded to 64: header length 56 with two trailing spaces
    expect(Array.from(bytes.subarray(0, 8))).toEqual([56, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(bytes.subarray(8, 64))).toBe(json + '  ');
    // 1.0f = 0x3f800000, -2.0f = 0xc0000000, little-endian
    expect(Array.from(bytes.subarray(64))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });

  it('round-trips bit-exactly, including NaN payloads, -0, infinities and subnormals', () => {
    const weird = new Float32Array(8);
    const u = new Uint32Array(weird.buffer);
    u.set([0x7fc00001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x3eaaaaab, 0xffffffff, 0x00800000]);
    const tensors = new Map<string, NamedTensor>([
      ['w.weird', { dtype: 'F32', shape: [2, 4], data: weird }],
      ['b', { dtype: 'I32', shape: [3], data: Int32Array.of(-1, 2 ** 31 - 1, -(2 ** 31)) }],
      ['scalar', { dtype: 'F32', shape: [], data: Float32Array.of(0.1) }],
      ['empty', { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) }],
    ]);
    const file = path.join(tmpDir(), 'm.safetensors');
    writeSafetensors(file, tensors, { note: 'hi', format: 'np' });
    expect(fs.statSync(file).size % 8).toBe(0);
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ note: 'hi', format: 'np' });
    expect([...back.tensors.keys()].sort()).toEqual(['b', 'empty', 'scalar', 'w.weird']);
    const w = back.tensors.get('w.weird') as NamedTensor;
    expect(w.shape).toEqual([2, 4]);
    expect(Array.from(new Uint32Array(w.data.buffer, w.data.byteOffset, 8))).toEqual(Array.from(u));
    expect(Array.from(back.tensors.get('b')!.data)).toEqual([-1, 2 ** 31 - 1, -(2 ** 31)]);
    expect(back.tensors.get('b')!.dtype).toBe('I32');
    expect(back.tensors.get('scalar')!.shape).toEqual([]);
    expect(back.tensors.get('scalar')!.data[0]).toBe(Math.fround(0.1));
  });

  it('refuses data that does not fit the shape when writing', () => {
    expect(() => encodeSafetensors(new Map([['x', { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(/holds 4 values but the data has 3/);
    expect(() => encodeSafetensors(new Map([['x', { dtype: 'I32', shape: [1], data: new Float32Array(1) }]]))).toThrow(/Int32Array/);
  });

  it('names the file on a missing file, a truncated file and a corrupt header', () => {
    const dir = tmpDir();
    expectError(() => readSafetensors(path.join(dir, 'nope.safetensors')), /nope\.safetensors does not exist/);

    const good = encodeSafetensors(new Map([['a', { dtype: 'F32', shape: [4], data: new Float32Array(4) }]]));
    const trunc = path.join(dir, 'trunc.safetensors');
    fs.writeFileSync(trunc, good.subarray(0, good.length - 3));
    const err = expectError(() => readSafetensors(trunc), /trunc\.safetensors: tensor "a" ends at byte 16 of a 13-byte data buffer/);
    expect(err.diagnostics[0].file).toBe(trunc);

    const bad = Uint8Array.from(good);
    bad[9] = 0x78; // the opening quote of the first key becomes "x"
    const badFile = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(badFile, bad);
    expectError(() => readSafetensors(badFile), /bad\.safetensors: the header is not valid JSON/);

    const huge = Uint8Array.from(good);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expectError(() => decodeSafetensors(huge, 'h.st'), /h\.st: header length 1000 runs past the end/);
    expectError(() => decodeSafetensors(new Uint8Array(5), 'tiny'), /only 5 bytes/);
  });

  it('rejects holes in the data buffer and unsupported dtypes', () => {
    const mk = (header: object, dataLen: number): Uint8Array => {
      const h = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + h.length + dataLen);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      return out;
    };
    expectError(() => decodeSafetensors(mk({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)), /hole or an overlap/);
    expectError(() => decodeSafetensors(mk({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4)), /needs 8 bytes but data_offsets span 4/);
    const e = expectError(() => decodeSafetensors(mk({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4)), /dtype "F16"; only F32 and I32/);
    expect(e.diagnostics[0].fix).toMatch(/float32/);
    // unaligned but valid header (no padding) is accepted, per the spec padding is optional for readers
    const ok = decodeSafetensors(mk({ a: { dtype: 'I32', shape: [1], data_offsets: [0, 4] } }, 4));
    expect(Array.from(ok.tensors.get('a')!.data)).toEqual([0]);
  });
});
