import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { maskedCrc32c } from './crc32c';

/**
 * The few messages of TensorFlow's `event.proto` / `summary.proto` / `tensor.proto` that a
 * scalar-and-text event file needs, declared here with their published field numbers:
 *
 * - Event: wall_time 1 (double, seconds), step 2 (int64), file_version 3 (string), summary 5,
 *   session_log 7.
 * - SessionLog: status 1 (enum, START = 1).
 * - Summary: value 1 (repeated Value); Value: tag 1 (string), simple_value 2 (float),
 *   tensor 8 (TensorProto), metadata 9 (SummaryMetadata).
 * - SummaryMetadata: plugin_data 1 (PluginData: plugin_name 1, content 2 bytes), data_class 4.
 * - TensorProto: dtype 1 (DT_STRING = 7), tensor_shape 2 (no dims: a scalar), string_val 8.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    tensorboard: {
      nested: {
        Event: {
          fields: {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
            session_log: { type: 'SessionLog', id: 7 },
          },
        },
        SessionLog: {
          fields: { status: { type: 'SessionStatus', id: 1 } },
          nested: { SessionStatus: { values: { STATUS_UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } } },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              fields: {
                tag: { type: 'string', id: 1 },
                simple_value: { type: 'float', id: 2 },
                tensor: { type: 'TensorProto', id: 8 },
                metadata: { type: 'SummaryMetadata', id: 9 },
              },
            },
          },
        },
        SummaryMetadata: {
          fields: { plugin_data: { type: 'PluginData', id: 1 }, data_class: { type: 'DataClass', id: 4 } },
          nested: { PluginData: { fields: { plugin_name: { type: 'string', id: 1 }, content: { type: 'bytes', id: 2 } } } },
        },
        DataClass: { values: { DATA_CLASS_UNKNOWN: 0, DATA_CLASS_SCALAR: 1, DATA_CLASS_TENSOR: 2, DATA_CLASS_BLOB_SEQUENCE: 3 } },
        DataType: { values: { DT_INVALID: 0, DT_STRING: 7 } },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dim', id: 2 } },
          nested: { Dim: { fields: { size: { type: 'int64', id: 1 } } } },
        },
        TensorProto: {
          fields: {
            dtype: { type: 'DataType', id: 1 },
            tensor_shape: { type: 'TensorShapeProto', id: 2 },
            string_val: { rule: 'repeated', type: 'bytes', id: 8 },
          },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorboard.Event');

/** The version string of the first record; TensorBoard reads files that start with it. */
export const FILE_VERSION = 'brain.Event:2';
const SESSION_START = 1;
const DT_STRING = 7;
const DATA_CLASS_TENSOR = 2;

/** Each record: uint64 LE length, uint32 LE masked CRC-32C of those 8 bytes, the data, uint32 LE masked CRC-32C of the data. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

export interface EventFileOptions {
  /** Milliseconds since the epoch; Date.now unless a test fixes the clock. */
  now?: () => number;
  /** The host name in the file name; os.hostname() by default. */
  hostname?: string;
}

/**
 * One TensorBoard event file: `events.out.tfevents.<unix seconds>.<hostname>` in `dir`
 * (with `.1`, `.2`, ... appended when that name is taken, so an earlier file is never
 * overwritten). Every record is written straight to the file descriptor, so a TensorBoard
 * that watches the folder sees each step as soon as it is logged.
 */
export class EventFileWriter {
  readonly path: string;
  private fd: number | undefined;
  private readonly now: () => number;

  constructor(dir: string, opts: EventFileOptions = {}) {
    this.now = opts.now ?? Date.now;
    fs.mkdirSync(dir, { recursive: true });
    const base = `events.out.tfevents.${Math.floor(this.now() / 1000)}.${opts.hostname ?? os.hostname()}`;
    let file = path.join(dir, base);
    for (let n = 1; ; n++) {
      try {
        this.fd = fs.openSync(file, 'wx');
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        file = path.join(dir, `${base}.${n}`);
      }
    }
    this.path = file;
    this.write({ wall_time: this.wallTime(), step: 0, file_version: FILE_VERSION });
  }

  /** One Event holding a scalar summary: one (tag, simple_value) per metric. NaN and ±Infinity are kept. */
  writeScalars(step: number, metrics: Record<string, number>): void {
    const value = Object.entries(metrics)
      .filter(([, v]) => typeof v === 'number')
      .map(([tag, v]) => ({ tag, simple_value: v }));
    if (!value.length) return;
    this.write({ wall_time: this.wallTime(), step, summary: { value } });
  }

  /** One Event holding a text summary (a scalar string tensor for TensorBoard's `text` plugin; the text is Markdown). */
  writeText(step: number, tag: string, text: string): void {
    const tensor = { dtype: DT_STRING, tensor_shape: {}, string_val: [Buffer.from(text, 'utf8')] };
    const metadata = { plugin_data: { plugin_name: 'text', content: Buffer.alloc(0) }, data_class: DATA_CLASS_TENSOR };
    this.write({ wall_time: this.wallTime(), step, summary: { value: [{ tag, tensor, metadata }] } });
  }

  /**
   * A SessionLog START at `step`: TensorBoard then drops what earlier files hold at `step` and
   * later, i.e. the steps an interrupted run logged after its last checkpoint.
   */
  writeSessionStart(step: number): void {
    this.write({ wall_time: this.wallTime(), step, session_log: { status: SESSION_START } });
  }

  /** Flush to disk and close; later writes throw. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  private wallTime(): number {
    return this.now() / 1000;
  }

  private write(event: Record<string, unknown>): void {
    if (this.fd === undefined) throw new Error(`the event file ${this.path} is closed`);
    const record = frameRecord(EventType.encode(event).finish());
    for (let off = 0; off < record.length; ) off += fs.writeSync(this.fd, record, off, record.length - off);
  }
}
