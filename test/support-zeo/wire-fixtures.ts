// Loads the recorded ZEO conversations in shared/fixtures/zeo-wire and turns
// their JSON renderings into the wire layer's value model.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZeoEncoding } from '../../src/zeo/wire/marshaller.js';
import { isTuple, PyFloat, tuple, type ZeoValue } from '../../src/zeo/wire/values.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the ZEO wire fixtures live (shared/ sits beside the repository). */
export const ZEO_WIRE_FIXTURE_DIR = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'zeo-wire');

/** Who sent a frame. */
export type FrameDirection = 'c2s' | 's2c';

/** One recorded frame. */
export interface FixtureFrame {
  readonly seq: number;
  readonly conn: number;
  readonly dir: FrameDirection;
  /** The payload, without the length prefix. */
  readonly payload: Buffer;
  /** The JSON rendering of the decoded message (see the fixture README). */
  readonly decoded: unknown;
  /** Pickle frames only: the rendering with tuples marked. */
  readonly typed?: unknown;
}

/** One recorded conversation. */
export interface WireFixture {
  readonly file: string;
  readonly scenario: string;
  /** The server's mode in this recording. */
  readonly encoding: ZeoEncoding;
  readonly frames: readonly FixtureFrame[];
  readonly steps: readonly { readonly before_frame: number; readonly text: string }[];
}

interface RawFrame {
  seq: number;
  conn: number;
  dir: FrameDirection;
  hex: string;
  decoded: unknown;
  typed?: unknown;
}

/** Loads one fixture file by name, e.g. `d-conflict.msgpack.json`. */
export function loadWireFixture(file: string): WireFixture {
  const raw = JSON.parse(readFileSync(path.join(ZEO_WIRE_FIXTURE_DIR, file), 'utf8')) as {
    scenario: string;
    encoding: ZeoEncoding;
    frames: RawFrame[];
    steps: { before_frame: number; text: string }[];
  };
  return {
    file,
    scenario: raw.scenario,
    encoding: raw.encoding,
    steps: raw.steps,
    frames: raw.frames.map((f) => ({
      seq: f.seq,
      conn: f.conn,
      dir: f.dir,
      payload: Buffer.from(f.hex, 'hex'),
      decoded: f.decoded,
      ...(f.typed === undefined ? {} : { typed: f.typed }),
    })),
  };
}

/** The names of every fixture file, sorted. */
export function wireFixtureFiles(): string[] {
  return readdirSync(ZEO_WIRE_FIXTURE_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/** Whether a frame is a handshake (or the JSON status answer to `ruok`) rather than a message. */
export function isSpecialFrame(frame: FixtureFrame): boolean {
  const d = frame.decoded;
  return typeof d === 'object' && d !== null && !Array.isArray(d) && ('handshake' in d || 'json' in d);
}

/**
 * The encoding each message frame of a connection uses: the one the
 * client's handshake answer chose (scenario h answers with the other one).
 */
export function connectionEncodings(fixture: WireFixture): Map<number, ZeoEncoding> {
  const result = new Map<number, ZeoEncoding>();
  for (const frame of fixture.frames) {
    const d = frame.decoded as { handshake?: string };
    if (frame.dir === 'c2s' && typeof d?.handshake === 'string') {
      result.set(frame.conn, d.handshake.startsWith('M') ? 'msgpack' : 'pickle');
    }
  }
  return result;
}

/**
 * Converts a fixture rendering into the value model: `{"bytes_hex"}` →
 * Buffer, `{"tuple": […]}` → Tuple, `{"int": "…"}` → bigint, `{"float"}`
 * → PyFloat, other objects → Map, arrays → plain arrays.
 */
export function fromFixtureJson(json: unknown): ZeoValue {
  if (json === null || typeof json === 'string' || typeof json === 'boolean' || typeof json === 'number') return json;
  if (Array.isArray(json)) return json.map(fromFixtureJson);
  const obj = json as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    if (typeof obj.bytes_hex === 'string') return Buffer.from(obj.bytes_hex, 'hex');
    if (Array.isArray(obj.tuple)) return tuple(...obj.tuple.map(fromFixtureJson));
    if (typeof obj.int === 'string') return BigInt(obj.int);
    if (typeof obj.float === 'string') {
      const f = obj.float;
      return new PyFloat(f === 'nan' ? Number.NaN : f === 'inf' ? Infinity : -Infinity);
    }
  }
  return new Map(keys.map((k) => [k, fromFixtureJson(obj[k])]));
}

/**
 * Compares two values of the model; returns undefined when equal, else the
 * path and reason of the first difference. With `tupleAware`, a Tuple and a
 * plain array differ (pickle mode).
 */
export function valueDifference(actual: ZeoValue, expected: ZeoValue, tupleAware: boolean, at = '$'): string | undefined {
  if (expected instanceof Uint8Array) {
    if (!(actual instanceof Uint8Array)) return `${at}: expected bytes, got ${String(actual)}`;
    return Buffer.compare(Buffer.from(actual), Buffer.from(expected)) === 0
      ? undefined
      : `${at}: bytes ${Buffer.from(actual).toString('hex')} != ${Buffer.from(expected).toString('hex')}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected a sequence, got ${String(actual)}`;
    if (tupleAware && isTuple(actual) !== isTuple(expected)) {
      return `${at}: expected a ${isTuple(expected) ? 'tuple' : 'list'}, got a ${isTuple(actual) ? 'tuple' : 'list'}`;
    }
    if (actual.length !== expected.length) return `${at}: length ${actual.length} != ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = valueDifference(actual[i] as ZeoValue, expected[i] as ZeoValue, tupleAware, `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (expected instanceof Map) {
    if (!(actual instanceof Map)) return `${at}: expected a dict, got ${String(actual)}`;
    const a = [...actual.entries()];
    const e = [...expected.entries()];
    if (a.length !== e.length) return `${at}: dict size ${a.length} != ${e.length}`;
    for (let i = 0; i < e.length; i++) {
      const [ak, av] = a[i] as [ZeoValue, ZeoValue];
      const [ek, ev] = e[i] as [ZeoValue, ZeoValue];
      const dk = valueDifference(ak, ek, tupleAware, `${at}.key${i}`);
      if (dk !== undefined) return dk;
      const dv = valueDifference(av, ev, tupleAware, `${at}[${String(ek)}]`);
      if (dv !== undefined) return dv;
    }
    return undefined;
  }
  if (expected instanceof PyFloat) {
    return actual instanceof PyFloat && Object.is(actual.value, expected.value) ? undefined : `${at}: float mismatch`;
  }
  return Object.is(actual, expected) ? undefined : `${at}: ${String(actual)} (${typeof actual}) != ${String(expected)} (${typeof expected})`;
}

/** A message frame (not a handshake) with the file it came from. */
export interface MessageFrame {
  readonly file: string;
  readonly frame: FixtureFrame;
}

/** Every message frame of every recording whose connection uses `encoding`. */
export function messageFrames(encoding: ZeoEncoding): MessageFrame[] {
  return wireFixtureFiles().flatMap((file) => {
    const fixture = loadWireFixture(file);
    const encodings = connectionEncodings(fixture);
    return fixture.frames
      .filter((frame) => !isSpecialFrame(frame) && encodings.get(frame.conn) === encoding)
      .map((frame) => ({ file, frame }));
  });
}
