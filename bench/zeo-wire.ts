// Throughput of the ZEO wire layer: encoding and decoding typical messages
// (a loadBefore call and its reply carrying a ~200-byte record) in both
// encodings, and splitting a stream of 1 KB frames delivered in 64 KB chunks.
// Run: npx tsx bench/zeo-wire.ts
import { FrameDecoder } from '../src/zeo/wire/frame-decoder.js';
import { encodeFrame } from '../src/zeo/wire/frame-encoder.js';
import type { Marshaller } from '../src/zeo/wire/marshaller.js';
import type { ZeoMessage } from '../src/zeo/wire/message.js';
import { MsgpackMarshaller } from '../src/zeo/wire/msgpack-marshaller.js';
import { PickleMarshaller } from '../src/zeo/wire/pickle-marshaller.js';
import { tuple } from '../src/zeo/wire/values.js';

const RUN_MS = 700;

interface Result {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly megabytesPerSecond: number;
}

/** Runs `op` (which handles `bytesPerOp` bytes) repeatedly for RUN_MS after a warm-up. */
function measure(name: string, bytesPerOp: number, op: () => void): Result {
  for (let i = 0; i < 2000; i++) op();
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(RUN_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 500; i++) op();
    ops += 500;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return { name, opsPerSecond: ops / seconds, megabytesPerSecond: (ops * bytesPerOp) / seconds / 1e6 };
}

function print(result: Result, unit: string): void {
  const rate = Math.round(result.opsPerSecond).toLocaleString('en-US').padStart(12);
  console.log(`${result.name.padEnd(44)} ${rate} ${unit}/s ${result.megabytesPerSecond.toFixed(1).padStart(9)} MB/s`);
}

const oid = Buffer.from('0000000000000001', 'hex');
const tid = Buffer.from('040d2914c5e2c3bc', 'hex');
const record = Buffer.alloc(200, 0x61);
record.write('\x80\x03cpersistent.mapping\nPersistentMapping\nq\x00.', 0, 'latin1');
const msgid = tuple(oid, tid);
const loadCall: ZeoMessage = { kind: 'call', msgid, method: 'loadBefore', args: tuple(oid, tid) };
const loadReply: ZeoMessage = { kind: 'reply', msgid, result: tuple(record, Buffer.from('040d2914c5e2c3bb', 'hex'), null) };

function benchMarshaller(marshaller: Marshaller): void {
  for (const [label, message] of [
    ['loadBefore call', loadCall],
    ['loadBefore reply (200-byte record)', loadReply],
  ] as const) {
    let payload: Buffer;
    try {
      payload = marshaller.encode(message);
      marshaller.decode(payload);
    } catch (error) {
      console.log(`${marshaller.encoding} ${label}: unavailable (${(error as Error).message})`);
      continue;
    }
    print(measure(`${marshaller.encoding} encodeFrame ${label}`, payload.length + 4, () => marshaller.encodeFrame(message)), 'frames');
    print(measure(`${marshaller.encoding} decode ${label}`, payload.length, () => marshaller.decode(payload)), 'frames');
  }
}

function benchFraming(): void {
  const frame = encodeFrame(Buffer.alloc(1024 - 4, 0x5a));
  const stream = Buffer.concat(Array.from({ length: 1024 }, () => frame)); // 1 MiB of 1 KB frames
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < stream.length; offset += 64 * 1024) chunks.push(stream.subarray(offset, offset + 64 * 1024));
  const decoder = new FrameDecoder();
  let frames = 0;
  // One op = the whole MiB; report frames/s from the op rate.
  const result = measure('framing: 1 KB frames in 64 KB chunks', stream.length, () => {
    for (const chunk of chunks) frames += decoder.push(chunk).length;
  });
  print({ ...result, opsPerSecond: result.opsPerSecond * 1024 }, 'frames');
  // Chunks of 1000 bytes: nearly every frame straddles two chunks and is copied once.
  const small: Buffer[] = [];
  for (let offset = 0; offset < stream.length; offset += 1000) small.push(stream.subarray(offset, offset + 1000));
  const straddling = measure('framing: 1 KB frames in 1000-byte chunks', stream.length, () => {
    for (const chunk of small) frames += decoder.push(chunk).length;
  });
  print({ ...straddling, opsPerSecond: straddling.opsPerSecond * 1024 }, 'frames');
  if (frames === 0) throw new Error('no frames decoded');
}

console.log(`zeo wire benchmark (node ${process.version}, ${RUN_MS} ms per figure)`);
benchMarshaller(new MsgpackMarshaller());
benchMarshaller(new PickleMarshaller());
benchFraming();
