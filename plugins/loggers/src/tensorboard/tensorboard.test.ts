/**
 * The TensorBoard logger, read back with a decoder written here from the format alone (no
 * protobufjs, no code shared with the writer): TFRecord framing with both masked CRC-32Cs
 * checked, and a protobuf wire-format reader (varint, fixed64, fixed32, length-delimited).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError, type Logger } from '@rlhfjs/core';
import { buildPlugin, type BuiltPlugin } from '@rlhfjs/core/testing';
import { crc32c, maskedCrc32c } from './crc32c';
import { EventFileWriter, frameRecord } from './event-file';
import { tensorboardLogger } from './plugin';

// ---------------------------------------------------------------- the independent decoder

/** CRC-32C one bit at a time: reflected Castagnoli polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF. */
function refCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc & 1) !== 0 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8, mod 2^32. */
function refMasked(data: Uint8Array): number {
  const crc = refCrc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** TFRecords: uint64 LE length, uint32 LE masked CRC of the 8 length bytes, data, uint32 LE masked CRC of the data. */
function readRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 12) throw new Error(`truncated record header at byte ${off}`);
    const lenBytes = buf.subarray(off, off + 8);
    const len = Number(buf.readBigUInt64LE(off));
    if (buf.readUInt32LE(off + 8) !== refMasked(lenBytes)) throw new Error(`length CRC mismatch at byte ${off}`);
    const start = off + 12;
    if (buf.length - start < len + 4) throw new Error(`truncated record data at byte ${start}`);
    const data = buf.subarray(start, start + len);
    if (buf.readUInt32LE(start + len) !== refMasked(data)) throw new Error(`data CRC mismatch in the record at byte ${off}`);
    out.push(data);
    off = start + len + 4;
  }
  return out;
}

type WireValue = { wire: 0; v: bigint } | { wire: 1; v: Buffer } | { wire: 2; v: Buffer } | { wire: 5; v: Buffer };

function readVarint(buf: Buffer, at: { off: number }): bigint {
  let result = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (at.off >= buf.length) throw new Error('truncated varint');
    const b = buf[at.off++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    if (shift > 63n) throw new Error('varint longer than 10 bytes');
  }
}

/** Every field of one message, by field number, in file order. */
function readFields(buf: Buffer): Map<number, WireValue[]> {
  const fields = new Map<number, WireValue[]>();
  const at = { off: 0 };
  while (at.off < buf.length) {
    const key = Number(readVarint(buf, at));
    const field = key >>> 3;
    const wire = key & 7;
    let value: WireValue;
    if (wire === 0) value = { wire, v: readVarint(buf, at) };
    else if (wire === 1) value = { wire, v: buf.subarray(at.off, (at.off += 8)) };
    else if (wire === 5) value = { wire, v: buf.subarray(at.off, (at.off += 4)) };
    else if (wire === 2) {
      const len = Number(readVarint(buf, at));
      value = { wire, v: buf.subarray(at.off, (at.off += len)) };
    } else throw new Error(`unexpected wire type ${wire} for field ${field}`);
    if (at.off > buf.length) throw new Error(`field ${field} runs past the end of the message`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

function one(fields: Map<number, WireValue[]>, n: number, wire: number): WireValue | undefined {
  const all = fields.get(n) ?? [];
  if (all.length > 1) throw new Error(`field ${n} appears ${all.length} times`);
  if (all[0] && all[0].wire !== wire) throw new Error(`field ${n} has wire type ${all[0].wire}, expected ${wire}`);
  return all[0];
}
const bytesOf = (f: Map<number, WireValue[]>, n: number): Buffer | undefined => one(f, n, 2)?.v as Buffer | undefined;
const stringOf = (f: Map<number, WireValue[]>, n: number): string | undefined => bytesOf(f, n)?.toString('utf8');
const varintOf = (f: Map<number, WireValue[]>, n: number): bigint => (one(f, n, 0)?.v as bigint | undefined) ?? 0n;

interface DecodedValue {
  tag: string;
  simpleValue?: number;
  text?: string[];
  plugin?: string;
  dtype?: number;
  dims?: number;
}
interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values?: DecodedValue[];
  sessionStatus?: number;
}

function decodeEvent(data: Buffer): DecodedEvent {
  const f = readFields(data);
  const wall = one(f, 1, 1)?.v as Buffer | undefined; // double wall_time = 1
  const ev: DecodedEvent = { wallTime: wall ? wall.readDoubleLE(0) : 0, step: Number(BigInt.asIntN(64, varintOf(f, 2))) };
  const version = stringOf(f, 3);
  if (version !== undefined) ev.fileVersion = version;
  const summary = bytesOf(f, 5);
  if (summary) {
    ev.values = (readFields(summary).get(1) ?? []).map((entry) => {
      if (entry.wire !== 2) throw new Error('Summary.value must be length-delimited');
      const vf = readFields(entry.v);
      const value: DecodedValue = { tag: stringOf(vf, 1) ?? '' };
      const simple = one(vf, 2, 5)?.v as Buffer | undefined; // float simple_value = 2
      if (simple) value.simpleValue = simple.readFloatLE(0);
      const tensor = bytesOf(vf, 8);
      if (tensor) {
        const tf = readFields(tensor);
        value.dtype = Number(varintOf(tf, 1));
        value.dims = (readFields(bytesOf(tf, 2) ?? Buffer.alloc(0)).get(2) ?? []).length;
        value.text = (tf.get(8) ?? []).map((s) => (s.v as Buffer).toString('utf8'));
      }
      const meta = bytesOf(vf, 9);
      if (meta) value.plugin = stringOf(readFields(bytesOf(readFields(meta), 1) ?? Buffer.alloc(0)), 1);
      return value;
    });
  }
  const session = bytesOf(f, 7);
  if (session) ev.sessionStatus = Number(varintOf(readFields(session), 1));
  return ev;
}

const readEventFile = (file: string): DecodedEvent[] => readRecords(fs.readFileSync(file)).map(decodeEvent);

function eventFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.includes('tfevents'))
    .sort()
    .map((n) => path.join(dir, n));
}

// ---------------------------------------------------------------- tests

describe('CRC-32C and TFRecord framing', () => {
  const digits = Buffer.from('123456789', 'ascii');
  const zeros = Buffer.alloc(32);

  it('matches the published check values, in the writer and in the test decoder', () => {
    for (const f of [crc32c, refCrc32c]) {
      expect(f(digits)).toBe(0xe3069283);
      expect(f(zeros)).toBe(0x8a9136aa);
      expect(f(Buffer.alloc(0))).toBe(0);
    }
  });

  it('masks as the format says: rotate right 15, add 0xa282ead8', () => {
    // 0xE3069283 >>> 15 = 0x0001C60D; (0xE3069283 << 17) mod 2^32 = 0x25060000;
    // 0x2507C60D + 0xA282EAD8 = 0xC78AB0E5
    expect(maskedCrc32c(digits)).toBe(0xc78ab0e5);
    expect(refMasked(digits)).toBe(0xc78ab0e5);
  });

  it('frames a record that the reader takes back whole', () => {
    const payload = Buffer.from('a small payload', 'utf8');
    const rec = frameRecord(payload);
    expect(rec.length).toBe(8 + 4 + payload.length + 4);
    expect(rec.readBigUInt64LE(0)).toBe(BigInt(payload.length));
    expect(readRecords(Buffer.concat([rec, frameRecord(Buffer.alloc(0))]))).toEqual([payload, Buffer.alloc(0)]);
  });

  it('the reader refuses a file with one corrupted byte (data or length)', () => {
    const rec = frameRecord(Buffer.from('some data to guard', 'utf8'));
    const inData = Buffer.from(rec);
    inData[12 + 3] ^= 0x01;
    expect(() => readRecords(inData)).toThrow(/data CRC mismatch/);
    const inLength = Buffer.from(rec);
    inLength[0] ^= 0x01;
    expect(() => readRecords(inLength)).toThrow(/length CRC mismatch/);
    const inCrc = Buffer.from(rec);
    inCrc[rec.length - 1] ^= 0x80;
    expect(() => readRecords(inCrc)).toThrow(/data CRC mismatch/);
  });
});

describe('EventFileWriter', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-writer-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names the file by the clock and host, stamps wall_time in seconds, never overwrites a file', () => {
    let ms = 1_700_000_000_250;
    const w = new EventFileWriter(dir, { now: () => ms, hostname: 'testhost' });
    ms = 1_700_000_001_500;
    w.writeScalars(7, { a: 1 });
    w.close();
    expect(path.basename(w.path)).toBe('events.out.tfevents.1700000000.testhost');
    const evs = readEventFile(w.path);
    expect(evs.map((e) => [e.wallTime, e.step, e.fileVersion])).toEqual([
      [1700000000.25, 0, 'brain.Event:2'],
      [1700000001.5, 7, undefined],
    ]);

    ms = 1_700_000_000_999; // same second: a second file beside the first
    const again = new EventFileWriter(dir, { now: () => ms, hostname: 'testhost' });
    again.close();
    expect(path.basename(again.path)).toBe('events.out.tfevents.1700000000.testhost.1');
    expect(readEventFile(w.path)).toHaveLength(2);
  });

  it('encodes a scalar Event byte for byte as the wire format says', () => {
    const w = new EventFileWriter(dir, { now: () => 1500, hostname: 'h' });
    w.writeScalars(3, { a: 1 });
    w.close();
    const records = readRecords(fs.readFileSync(w.path));
    // Event { wall_time (1, fixed64) = 1.5, step (2, varint) = 3, summary (5, bytes) =
    //   Summary { value (1, bytes) = Value { tag (1, bytes) = "a", simple_value (2, fixed32) = 1.0f } } }
    const expected = Buffer.from([
      0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, // key (1 << 3 | 1), 1.5 as a little-endian double
      0x10, 0x03, // key (2 << 3 | 0), varint 3
      0x2a, 0x0a, // key (5 << 3 | 2), 10 bytes
      0x0a, 0x08, // key (1 << 3 | 2), 8 bytes
      0x0a, 0x01, 0x61, // key (1 << 3 | 2), "a"
      0x15, 0x00, 0x00, 0x80, 0x3f, // key (2 << 3 | 5), 1.0 as a little-endian float
    ]);
    expect(records[1].toString('hex')).toBe(expected.toString('hex'));
  });

  it('writes nothing for a step without metrics, and refuses writes after close', () => {
    const w = new EventFileWriter(dir, { now: () => 0, hostname: 'h' });
    w.writeScalars(1, {});
    w.close();
    expect(readEventFile(w.path)).toHaveLength(1);
    expect(() => w.writeScalars(2, { a: 1 })).toThrow(/closed/);
  });
});

describe('logger/tensorboard', () => {
  let built: BuiltPlugin<Logger> | undefined;
  afterEach(() => built?.dispose());

  const metricsAt = [
    { 'score/mean': 0.5, 'kl/mean': 0.0123, 'loss/policy': -0.2 },
    { 'score/mean': 0.1 + 0.2, 'kl/mean': Number.NaN, 'loss/policy': Number.POSITIVE_INFINITY },
    { 'score/mean': 1e-8, 'kl/mean': -3.25, 'loss/policy': Number.NEGATIVE_INFINITY },
  ];

  it('writes file_version, then one scalar Event per step with every metric, flushed as it goes', async () => {
    built = await buildPlugin(tensorboardLogger);
    const logger = built.instance;
    const before = Date.now() / 1000;
    await logger.start?.({ runDir: built.runDir, totalSteps: 3, startStep: 0 });
    await logger.log(0, metricsAt[0]);
    const tbDir = path.join(built.runDir, 'tensorboard');
    const [file] = eventFiles(tbDir);
    // readable before close: the first step is already on disk
    expect(readEventFile(file).map((e) => e.step)).toEqual([0, 0]);
    await logger.log(1, metricsAt[1]);
    await logger.log(2, metricsAt[2]);
    await logger.close?.();
    const after = Date.now() / 1000;

    expect(eventFiles(tbDir)).toEqual([file]);
    const host = os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(path.basename(file)).toMatch(new RegExp(`^events\\.out\\.tfevents\\.(\\d+)\\.${host}$`));
    const secs = Number(/tfevents\.(\d+)\./.exec(file)![1]);
    expect(secs).toBeGreaterThanOrEqual(Math.floor(before));
    expect(secs).toBeLessThanOrEqual(Math.floor(after));

    const evs = readEventFile(file);
    expect(evs).toHaveLength(4);
    expect(evs[0].fileVersion).toBe('brain.Event:2');
    expect(evs[0].values).toBeUndefined();
    expect(evs.slice(1).map((e) => e.step)).toEqual([0, 1, 2]);
    for (let i = 0; i < evs.length; i++) {
      expect(evs[i].wallTime).toBeGreaterThanOrEqual(before);
      expect(evs[i].wallTime).toBeLessThanOrEqual(after);
      if (i > 0) expect(evs[i].wallTime).toBeGreaterThanOrEqual(evs[i - 1].wallTime);
    }
    for (let s = 0; s < 3; s++) {
      const values = evs[s + 1].values!;
      expect(values.map((v) => v.tag)).toEqual(['score/mean', 'kl/mean', 'loss/policy']);
      // simple_value is a float: each value comes back rounded to float32 (NaN and infinities kept)
      expect(values.map((v) => v.simpleValue)).toEqual(Object.values(metricsAt[s]).map((x) => Math.fround(x)));
    }
    expect(evs[2].values![0].simpleValue).toBe(0.30000001192092896); // fround(0.1 + 0.2)
    expect(evs[2].values![1].simpleValue).toBeNaN();
    expect(evs[3].values![2].simpleValue).toBe(Number.NEGATIVE_INFINITY);
  });

  it('writes events as text summaries for the text plugin, at the last logged step', async () => {
    built = await buildPlugin(tensorboardLogger);
    const logger = built.instance;
    await logger.start?.({ runDir: built.runDir, totalSteps: 2, startStep: 0 });
    await logger.log(0, { a: 1 });
    await logger.log(1, { a: 2 });
    await logger.event?.('checkpoint', { step: 2, dir: 'checkpoints/step-2' });
    await logger.close?.();
    const evs = readEventFile(eventFiles(path.join(built.runDir, 'tensorboard'))[0]);
    expect(evs).toHaveLength(4);
    const text = evs[3];
    expect(text.step).toBe(1);
    expect(text.values).toHaveLength(1);
    const v = text.values![0];
    expect([v.tag, v.plugin, v.dtype, v.dims, v.simpleValue]).toEqual(['events/checkpoint', 'text', 7, 0, undefined]);
    expect(v.text).toEqual(['    {\n      "step": 2,\n      "dir": "checkpoints/step-2"\n    }']);
  });

  it('with events: false, ignores events', async () => {
    built = await buildPlugin(tensorboardLogger, { events: false });
    const logger = built.instance;
    await logger.start?.({ runDir: built.runDir, totalSteps: 1, startStep: 0 });
    await logger.log(0, { a: 1 });
    await logger.event?.('checkpoint', { step: 1 });
    await logger.close?.();
    const evs = readEventFile(eventFiles(path.join(built.runDir, 'tensorboard'))[0]);
    expect(evs.map((e) => e.values?.map((v) => v.tag))).toEqual([undefined, ['a']]);
  });

  it('on resume, keeps the old file and opens a new one that starts with a restart marker at the resumed step', async () => {
    built = await buildPlugin(tensorboardLogger);
    const logger = built.instance;
    const tbDir = path.join(built.runDir, 'tensorboard');
    await logger.start?.({ runDir: built.runDir, totalSteps: 4, startStep: 0 });
    for (let s = 0; s < 3; s++) await logger.log(s, { x: s });
    await logger.close?.();
    const [first] = eventFiles(tbDir);
    const firstBytes = fs.readFileSync(first);

    await logger.start?.({ runDir: built.runDir, totalSteps: 4, startStep: 2 });
    await logger.log(2, { x: 20 });
    await logger.log(3, { x: 30 });
    await logger.close?.();

    const files = eventFiles(tbDir);
    expect(files).toHaveLength(2);
    expect(fs.readFileSync(first).equals(firstBytes)).toBe(true);
    const second = readEventFile(files.find((f) => f !== first)!);
    expect(second.map((e) => [e.step, e.fileVersion ?? null, e.sessionStatus ?? null, e.values?.[0].simpleValue ?? null])).toEqual([
      [0, 'brain.Event:2', null, null],
      [2, null, 1, null], // SessionLog START: TensorBoard drops earlier data at step >= 2
      [2, null, null, 20],
      [3, null, null, 30],
    ]);
  });

  it('resolves a relative dir against the run directory given to start(), and takes an absolute dir as it is', async () => {
    built = await buildPlugin(tensorboardLogger, { dir: 'tb/run-a' });
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-rundir-'));
    try {
      await built.instance.start?.({ runDir: other, totalSteps: 1, startStep: 0 });
      await built.instance.log(0, { a: 1 });
      await built.instance.close?.();
      expect(eventFiles(path.join(other, 'tb', 'run-a'))).toHaveLength(1);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    const abs = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-abs-'));
    const b2 = await buildPlugin(tensorboardLogger, { dir: abs });
    try {
      await b2.instance.start?.({ runDir: b2.runDir, totalSteps: 1, startStep: 0 });
      await b2.instance.close?.();
      expect(eventFiles(abs)).toHaveLength(1);
    } finally {
      b2.dispose();
      fs.rmSync(abs, { recursive: true, force: true });
    }
  });

  it('logs into the container run directory when start() was not called', async () => {
    built = await buildPlugin(tensorboardLogger);
    await built.instance.log(4, { a: 1.5 });
    await built.instance.close?.();
    const evs = readEventFile(eventFiles(path.join(built.runDir, 'tensorboard'))[0]);
    expect(evs.map((e) => [e.step, e.values?.[0].simpleValue ?? null])).toEqual([
      [0, null],
      [4, 1.5],
    ]);
  });

  it('says where and how to fix it when the folder cannot be created', async () => {
    built = await buildPlugin(tensorboardLogger, { dir: 'blocked/tb' });
    fs.writeFileSync(path.join(built.runDir, 'blocked'), 'a file where the folder should go\n');
    let caught: unknown;
    try {
      await built.instance.start?.({ runDir: built.runDir, totalSteps: 1, startStep: 0 });
    } catch (err) {
      caught = err;
    }
    expect(DiagnosticError.is(caught)).toBe(true);
    const d = (caught as DiagnosticError).diagnostics[0];
    expect([d.code, d.plugin, d.pointer]).toEqual(['tensorboard/cannot-write', 'logger/tensorboard', '/test/logger/options/dir']);
    expect(d.message).toContain(path.join(built.runDir, 'blocked', 'tb'));
    expect(d.fix).toMatch(/dir/);
  });

  it('refuses unknown options and an empty dir', async () => {
    await expect(buildPlugin(tensorboardLogger, { logdir: 'x' })).rejects.toThrow(/additional properties/);
    await expect(buildPlugin(tensorboardLogger, { dir: '' })).rejects.toThrow(/dir/);
  });
});
