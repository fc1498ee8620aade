/**
 * Test helpers: converting between the JSON conventions of the shared
 * fixtures (`shared/fixtures/zodb/README.md`) and the codec's value model,
 * plus a float-aware JSON reader (JSON.parse turns `3.0` into `3`, losing
 * the int/float distinction the encoder needs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PyFloat, PyGlobal, PyObject, Tuple, tuple } from '../../src/pickle/values.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** `shared/` next to the repository root. */
export const sharedDir = path.resolve(here, '..', '..', '..', 'shared');
/** This folder's own fixtures. */
export const localFixturesDir = path.join(here, 'fixtures');

/** A number written with a decimal point or exponent in the JSON text. */
export class FloatLiteral {
  constructor(readonly value: number) {}
}

/** Reads JSON, keeping float literals apart as {@link FloatLiteral}. */
export function parseJsonWithFloats(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const key = value() as string;
        ws();
        i++; // ':'
        Object.defineProperty(obj, key, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i++] === '}') return obj;
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i++] === ']') return arr;
      }
    }
    if (c === '"') {
      const start = i;
      i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      return JSON.parse(text.slice(start, i)) as string;
    }
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!m) throw new Error(`bad JSON at ${i}`);
    i += m[0].length;
    const parsed = JSON.parse(m[0]) as unknown;
    return typeof parsed === 'number' && /[.eE]/.test(m[0]) ? new FloatLiteral(parsed) : parsed;
  };
  return value();
}

/** Reads a fixture file with {@link parseJsonWithFloats}. */
export function readFixture(file: string): unknown {
  return parseJsonWithFloats(readFileSync(file, 'utf8'));
}

/** A persistent reference as the tests model it: the raw pickled persistent id. */
export class Ref {
  constructor(readonly pid: unknown) {}
}

/** `persistentLoad` for tests: wraps the pid. */
export const refLoad = (pid: unknown): Ref => new Ref(pid);
/** `persistentId` for tests: unwraps it. */
export const refId = (value: object): unknown => (value instanceof Ref ? value.pid : undefined);

function splitName(qualified: string): PyGlobal {
  const dot = qualified.lastIndexOf('.');
  return new PyGlobal(qualified.slice(0, dot), qualified.slice(dot + 1));
}

const SPECIAL_FLOATS: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity, '-0.0': -0 };

/**
 * Fixture JSON → value model, for encoding. `oids` caches reference oids
 * by hex so a record reuses one Buffer per oid, as Python reuses
 * `obj._p_oid` (which is what makes it write `BINGET`).
 */
export function fromFixture(json: unknown, oids = new Map<string, Buffer>()): unknown {
  const conv = (v: unknown): unknown => fromFixture(v, oids);
  if (json instanceof FloatLiteral) return Number.isInteger(json.value) ? new PyFloat(json.value) : json.value;
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(conv);
  const o = json as Record<string, unknown>;
  const keys = Object.keys(o);
  const single = keys.length === 1 ? keys[0] : undefined;
  if (single === 'bytes_hex') return Buffer.from(o.bytes_hex as string, 'hex');
  if (single === 'tuple' && Array.isArray(o.tuple)) return Tuple.fromItems(o.tuple.map(conv));
  if (single === 'int' && typeof o.int === 'string') return BigInt(o.int);
  if (single === 'float' && typeof o.float === 'string') return SPECIAL_FLOATS[o.float];
  if (single === 'dict_items') return new Map((o.dict_items as unknown[][]).map(([k, v]) => [conv(k), conv(v)]));
  if (single === 'global') return splitName(o.global as string);
  if (('reduce' in o || 'newobj' in o) && 'args' in o) {
    const kind = 'reduce' in o ? 'reduce' : 'newobj';
    const obj = new PyObject(kind, splitName(o[kind] as string), conv(o.args) as Tuple);
    if ('state' in o) obj.state = conv(o.state);
    if ('listitems' in o) obj.listItems = conv(o.listitems) as unknown[];
    if ('dictitems' in o) obj.dictItems = (o.dictitems as unknown[][]).map(([k, v]) => [conv(k), conv(v)]);
    return obj;
  }
  if ('ref' in o && 'form' in o) {
    const hex = o.ref as string;
    let oid = oids.get(hex);
    if (!oid) oids.set(hex, (oid = Buffer.from(hex, 'hex')));
    const db = o.database as string | undefined;
    switch (o.form) {
      case 'oid+class':
        return new Ref(tuple(oid, splitName(o.class as string)));
      case 'oid':
        return new Ref(oid);
      case 'weak':
        return new Ref(['w', db === undefined ? tuple(oid) : tuple(oid, db)]);
      case 'xdb+class':
        return new Ref(['m', tuple(db, oid, splitName(o.class as string))]);
      case 'xdb':
        return new Ref(['n', tuple(db, oid)]);
      case 'legacy-weak':
        return new Ref([oid]);
      default:
        throw new Error(`unknown ref form ${String(o.form)}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = conv(v);
  return out;
}

function numberToFixture(v: number): unknown {
  if (Number.isNaN(v)) return { float: 'nan' };
  if (v === Infinity) return { float: 'inf' };
  if (v === -Infinity) return { float: '-inf' };
  if (Object.is(v, -0)) return { float: '-0.0' };
  return v;
}

function refToFixture(pid: unknown): Record<string, unknown> {
  const hex = (b: unknown): string => (b as Buffer).toString('hex');
  if (pid instanceof Tuple) return { ref: hex(pid[0]), class: (pid[1] as PyGlobal).qualifiedName, form: 'oid+class' };
  if (Buffer.isBuffer(pid)) return { ref: hex(pid), form: 'oid' };
  const [kind, args] = pid as [string, Tuple];
  if (args === undefined) return { ref: hex(kind), form: 'legacy-weak' };
  if (kind === 'w') return args.length === 1 ? { ref: hex(args[0]), form: 'weak' } : { ref: hex(args[0]), form: 'weak', database: args[1] };
  if (kind === 'm') return { ref: hex(args[1]), class: (args[2] as PyGlobal).qualifiedName, database: args[0], form: 'xdb+class' };
  return { ref: hex(args[1]), database: args[0], form: 'xdb' };
}

/** Value model → fixture JSON, for comparing decoded values with the fixtures. */
export function toFixture(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return numberToFixture(value);
  if (typeof value === 'bigint') return { int: value.toString() };
  if (value instanceof PyFloat) return numberToFixture(value.value);
  if (Buffer.isBuffer(value)) return { bytes_hex: value.toString('hex') };
  if (value instanceof Tuple) return { tuple: value.map(toFixture) };
  if (Array.isArray(value)) return value.map(toFixture);
  if (value instanceof Map) {
    const entries = [...value.entries()];
    if (entries.every(([k]) => typeof k === 'string')) return Object.fromEntries(entries.map(([k, v]) => [k, toFixture(v)]));
    return { dict_items: entries.map(([k, v]) => [toFixture(k), toFixture(v)]) };
  }
  if (value instanceof PyGlobal) return { global: value.qualifiedName };
  if (value instanceof PyObject) {
    const out: Record<string, unknown> = { [value.kind]: String(value.callable instanceof PyGlobal ? value.callable.qualifiedName : value.callable) };
    out.args = toFixture(value.args);
    if (value.state !== undefined) out.state = toFixture(value.state);
    if (value.listItems !== undefined) out.listitems = toFixture(value.listItems);
    if (value.dictItems !== undefined) out.dictitems = value.dictItems.map(([k, v]) => [toFixture(k), toFixture(v)]);
    return out;
  }
  if (value instanceof Ref) return refToFixture(value.pid);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toFixture(v)]));
  throw new Error(`unexpected ${typeof value}`);
}

/**
 * Fixture JSON as `JSON.parse` gives it, with what the pickle itself
 * cannot tell removed: the looked-up class of references whose class is
 * not in the pickle.
 */
export function expectedFromFixture(json: unknown): unknown {
  if (json instanceof FloatLiteral) return json.value;
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(expectedFromFixture);
  const o = json as Record<string, unknown>;
  if ('ref' in o && o.class_in_pickle === false) {
    const { class: _class, class_in_pickle: _inPickle, ...rest } = o;
    return rest;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, expectedFromFixture(v)]));
}
