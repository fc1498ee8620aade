/**
 * The pickle encoder: writes protocol 3 (or 2) exactly as CPython's and
 * zodbpickle's C pickler do for the value model of `values.ts` — the same
 * opcodes, the same batching of list and dict items (1000 per `APPENDS` /
 * `SETITEMS`), the same memo (`BINPUT` after every str, bytes, non-empty
 * tuple, list, dict, global and reduced object; `BINGET` for repeats), or
 * no memo at all in "fast" mode, which ZEO uses for its messages.
 */
import { ByteWriter } from './byte-writer.js';
import { checkEncodeOptions, type EncodeOptions } from './encode-options.js';
import { python2Name } from './compat-names.js';
import { PICKLE_ERROR_CODES, PickleError } from './errors.js';
import { longByteLength, writeLong } from './long-bytes.js';
import { OP } from './opcodes.js';
import { EMPTY_TUPLE, PyFloat, PyGlobal, PyObject, Tuple, pickleReduce, type PickleReduction } from './values.js';

const BATCH_SIZE = 1000;
const TUPLE_OPS = [OP.EMPTY_TUPLE, OP.TUPLE1, OP.TUPLE2, OP.TUPLE3] as const;
const BYTES_GLOBAL = new PyGlobal('builtins', 'bytes');
const CODECS_ENCODE = new PyGlobal('_codecs', 'encode');

function isPlainDict(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function typeName(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
}

/**
 * Writes pickles into one growing buffer. Consecutive {@link dump} calls
 * share the memo, which is how ZODB writes a record's class and state
 * pickles.
 *
 * @example A ZODB record:
 * ```ts
 * const record = new PickleEncoder({ persistentId }).dump(klass).dump(state).finish();
 * ```
 */
export class PickleEncoder {
  readonly #w: ByteWriter;
  readonly #protocol: 2 | 3;
  readonly #memoize: boolean;
  readonly #persistentId: ((value: object) => unknown) | undefined;
  readonly #reducer: ((value: object) => PickleReduction | undefined) | undefined;
  /** Strings by value, other values by identity → memo index. */
  #memo = new Map<unknown, number>();
  /** Globals by `module\nname` → memo index. */
  #globalMemo = new Map<string, number>();
  #memoSize = 0;

  /** An encoder with `options`; throws `InvalidArgumentError` for bad ones. */
  constructor(options: EncodeOptions = {}) {
    checkEncodeOptions(options);
    this.#w = new ByteWriter(options.initialCapacity);
    this.#protocol = options.protocol ?? 3;
    this.#memoize = options.memoize ?? true;
    this.#persistentId = options.persistentId;
    this.#reducer = options.reducer;
  }

  /**
   * Appends one complete pickle of `value` (`PROTO` … `STOP`). On error
   * (a {@link PickleError} for values that cannot be pickled) the output
   * is left as it was before the call.
   */
  dump(value: unknown): this {
    const w = this.#w;
    const start = w.length;
    w.byte2(OP.PROTO, this.#protocol);
    try {
      this.#save(value, true);
    } catch (err) {
      w.truncate(start);
      if (err instanceof RangeError) {
        throw new PickleError(PICKLE_ERROR_CODES.unpicklable, 'value nested too deeply (or cyclic, which fast mode cannot write)', undefined, {
          cause: err,
        });
      }
      throw err;
    }
    w.byte(OP.STOP);
    return this;
  }

  /** Forgets the memo (Python's `Pickler.clear_memo()`): later dumps do not refer to earlier ones. */
  clearMemo(): this {
    this.#memo = new Map();
    this.#globalMemo = new Map();
    this.#memoSize = 0;
    return this;
  }

  /** Returns the bytes of all dumps so far and resets the encoder (output and memo) for reuse. */
  finish(): Buffer {
    this.clearMemo();
    return this.#w.takeView();
  }

  // --- dispatch -----------------------------------------------------------

  #save(value: unknown, checkPersistent: boolean): void {
    switch (typeof value) {
      case 'string':
        this.#saveString(value);
        return;
      case 'number':
        this.#saveNumber(value);
        return;
      case 'boolean':
        this.#w.byte(value ? OP.NEWTRUE : OP.NEWFALSE);
        return;
      case 'bigint':
        this.#saveBigInt(value);
        return;
      case 'object':
        if (value === null) this.#w.byte(OP.NONE);
        else this.#saveObject(value, checkPersistent);
        return;
      default:
        throw new PickleError(PICKLE_ERROR_CODES.unpicklable, `cannot pickle a value of type ${typeof value}`);
    }
  }

  #saveObject(value: object, checkPersistent: boolean): void {
    if (checkPersistent && this.#persistentId) {
      const pid = this.#persistentId(value);
      if (pid !== undefined) {
        this.#save(pid, false);
        this.#w.byte(OP.BINPERSID);
        return;
      }
    }
    if (this.#memoize) {
      const index = this.#memo.get(value);
      if (index !== undefined) {
        this.#writeGet(index);
        return;
      }
    }
    if (value instanceof Uint8Array) this.#saveBytes(value);
    else if (value instanceof Tuple) this.#saveTuple(value);
    else if (Array.isArray(value)) this.#saveList(value);
    else if (value instanceof Map) this.#saveMap(value);
    else if (value instanceof PyFloat) this.#w.opDouble(OP.BINFLOAT, value.value);
    else if (value instanceof PyGlobal) this.#saveGlobal(value.module, value.name);
    else if (value instanceof PyObject) this.#saveReduce(value, value);
    else this.#saveOther(value);
  }

  #saveOther(value: object): void {
    const method: unknown = (value as { [pickleReduce]?: unknown })[pickleReduce];
    if (typeof method === 'function') {
      this.#saveReduce((method as () => PickleReduction).call(value), value);
      return;
    }
    if (isPlainDict(value)) {
      this.#saveObjectDict(value);
      return;
    }
    const reduction = this.#reducer?.(value);
    if (reduction === undefined) {
      throw new PickleError(PICKLE_ERROR_CODES.unpicklable, `cannot pickle a ${typeName(value)} (no pickleReduce method and the reducer option did not handle it)`);
    }
    this.#saveReduce(reduction, value);
  }

  // --- memo ---------------------------------------------------------------

  /** Memoizes `key` (when not in fast mode) and writes the `BINPUT`. `key` undefined: a value that can never repeat. */
  #put(key: unknown): void {
    if (!this.#memoize) return;
    const index = this.#memoSize++;
    if (key !== undefined) this.#memo.set(key, index);
    this.#writePut(index);
  }

  #writePut(index: number): void {
    if (index < 256) this.#w.byte2(OP.BINPUT, index);
    else this.#w.opUint32(OP.LONG_BINPUT, index);
  }

  #writeGet(index: number): void {
    if (index < 256) this.#w.byte2(OP.BINGET, index);
    else this.#w.opUint32(OP.LONG_BINGET, index);
  }

  // --- atoms --------------------------------------------------------------

  #saveNumber(v: number): void {
    if (!Number.isInteger(v) || Object.is(v, -0)) {
      this.#w.opDouble(OP.BINFLOAT, v);
    } else if (v >= 0 && v <= 0xff) {
      this.#w.byte2(OP.BININT1, v);
    } else if (v >= 0 && v <= 0xffff) {
      this.#w.opUint16(OP.BININT2, v);
    } else if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.#w.opInt32(OP.BININT, v);
    } else {
      this.#saveLong(BigInt(v));
    }
  }

  #saveBigInt(v: bigint): void {
    if (v >= -0x80000000n && v <= 0x7fffffffn) this.#saveNumber(Number(v));
    else this.#saveLong(v);
  }

  #saveLong(v: bigint): void {
    const n = longByteLength(v);
    const w = this.#w;
    if (n < 256) w.byte2(OP.LONG1, n);
    else w.opUint32(OP.LONG4, n);
    const scratch = Buffer.allocUnsafe(n);
    writeLong(scratch, 0, v, n);
    w.bytes(scratch);
  }

  #saveString(s: string): void {
    if (this.#memoize) {
      const index = this.#memo.get(s);
      if (index !== undefined) {
        this.#writeGet(index);
        return;
      }
    }
    this.#w.opUtf8WithLength(OP.BINUNICODE, s);
    this.#put(s);
  }

  #saveBytes(b: Uint8Array): void {
    if (this.#protocol < 3) {
      // Protocol 2 has no bytes opcode: Python writes a call that rebuilds them.
      if (b.length === 0) {
        this.#saveReduce({ callable: BYTES_GLOBAL, args: EMPTY_TUPLE }, b);
        return;
      }
      this.#saveGlobal(CODECS_ENCODE.module, CODECS_ENCODE.name);
      this.#w.opUtf8WithLength(OP.BINUNICODE, Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1'));
      this.#put(undefined); // a fresh str object each time
      this.#saveString('latin1');
      this.#w.byte(OP.TUPLE2);
      this.#put(undefined);
      this.#w.byte(OP.REDUCE);
      this.#put(b);
      return;
    }
    const w = this.#w;
    if (b.length < 256) w.byte2(OP.SHORT_BINBYTES, b.length);
    else w.opUint32(OP.BINBYTES, b.length);
    w.bytes(b);
    this.#put(b);
  }

  #saveGlobal(module: string, name: string): void {
    const key = `${module}\n${name}`;
    if (this.#memoize) {
      const index = this.#globalMemo.get(key);
      if (index !== undefined) {
        this.#writeGet(index);
        return;
      }
    }
    if (this.#protocol < 3) {
      [module, name] = python2Name(module, name);
      if (/[^\x20-\x7e]/.test(module + name)) {
        throw new PickleError(PICKLE_ERROR_CODES.unpicklable, `global ${module}.${name} is not ASCII, which protocol 2 requires`);
      }
    }
    if (module.includes('\n') || name.includes('\n')) {
      throw new PickleError(PICKLE_ERROR_CODES.unpicklable, `global name contains a newline: ${JSON.stringify(key)}`);
    }
    const w = this.#w;
    w.byte(OP.GLOBAL);
    w.text(module);
    w.byte(0x0a);
    w.text(name);
    w.byte(0x0a);
    if (this.#memoize) {
      const index = this.#memoSize++;
      this.#globalMemo.set(key, index);
      this.#writePut(index);
    }
  }

  // --- containers ---------------------------------------------------------

  #saveTuple(t: readonly unknown[]): void {
    const n = t.length;
    const w = this.#w;
    if (n === 0) {
      w.byte(OP.EMPTY_TUPLE);
      return;
    }
    if (n > 3) w.byte(OP.MARK);
    for (let i = 0; i < n; i++) this.#save(t[i], true);
    // A tuple that reached the memo while its items were written contains itself.
    const index = this.#memoize ? this.#memo.get(t) : undefined;
    if (index !== undefined) {
      if (n > 3) w.byte(OP.POP_MARK);
      else for (let i = 0; i < n; i++) w.byte(OP.POP);
      this.#writeGet(index);
      return;
    }
    w.byte(n > 3 ? OP.TUPLE : (TUPLE_OPS[n] as number));
    this.#put(t);
  }

  #saveList(list: readonly unknown[]): void {
    const w = this.#w;
    w.byte(OP.EMPTY_LIST);
    this.#put(list);
    const n = list.length;
    if (n === 1) {
      this.#save(list[0], true);
      w.byte(OP.APPEND);
      return;
    }
    let i = 0;
    while (i < n) {
      w.byte(OP.MARK);
      const stop = Math.min(n, i + BATCH_SIZE);
      for (; i < stop; i++) this.#save(list[i], true);
      w.byte(OP.APPENDS);
    }
  }

  // Dicts follow the C pickler's batch_dict_exact, which writes an empty
  // `MARK SETITEMS` after a final full batch of 1000.

  #saveMap(map: ReadonlyMap<unknown, unknown>): void {
    const w = this.#w;
    w.byte(OP.EMPTY_DICT);
    this.#put(map);
    if (map.size === 0) return;
    if (map.size === 1) {
      for (const [k, v] of map) {
        this.#save(k, true);
        this.#save(v, true);
      }
      w.byte(OP.SETITEM);
      return;
    }
    const entries = map.entries();
    let count: number;
    do {
      w.byte(OP.MARK);
      count = 0;
      for (let e = entries.next(); !e.done; e = entries.next()) {
        this.#save(e.value[0], true);
        this.#save(e.value[1], true);
        if (++count === BATCH_SIZE) break;
      }
      w.byte(OP.SETITEMS);
    } while (count === BATCH_SIZE);
  }

  #saveObjectDict(dict: Record<string, unknown>): void {
    const w = this.#w;
    w.byte(OP.EMPTY_DICT);
    this.#put(dict);
    const keys = Object.keys(dict);
    const n = keys.length;
    if (n === 0) return;
    if (n === 1) {
      const key = keys[0] as string;
      this.#saveString(key);
      this.#save(dict[key], true);
      w.byte(OP.SETITEM);
      return;
    }
    let i = 0;
    let count: number;
    do {
      w.byte(OP.MARK);
      count = 0;
      for (; i < n && count < BATCH_SIZE; i++, count++) {
        const key = keys[i] as string;
        this.#saveString(key);
        this.#save(dict[key], true);
      }
      w.byte(OP.SETITEMS);
    } while (count === BATCH_SIZE);
  }

  // --- reduce -------------------------------------------------------------

  /** Python's `save_reduce`: callable, args, `REDUCE`/`NEWOBJ`, memo, items, state. */
  #saveReduce(r: PickleReduction, obj: object): void {
    const w = this.#w;
    const args = r.args instanceof Tuple ? r.args : Array.isArray(r.args) ? Tuple.fromItems(r.args) : undefined;
    if (args === undefined) throw new PickleError(PICKLE_ERROR_CODES.unpicklable, `reduction of a ${typeName(obj)} has no args array`);
    this.#save(r.callable, true);
    this.#save(args, true);
    w.byte(r.kind === 'newobj' ? OP.NEWOBJ : OP.REDUCE);
    this.#put(obj);
    if (r.listItems !== undefined) this.#batchAppends(r.listItems);
    if (r.dictItems !== undefined) this.#batchSetItems(r.dictItems);
    if (r.state !== undefined) {
      this.#save(r.state, true);
      w.byte(OP.BUILD);
    }
  }

  // Items of reduced objects follow the C pickler's generic batch_list /
  // batch_dict: a lone trailing item uses APPEND / SETITEM, no empty batch.

  #batchAppends(items: Iterable<unknown>): void {
    const w = this.#w;
    const it = items[Symbol.iterator]();
    for (;;) {
      const first = it.next();
      if (first.done) return;
      const second = it.next();
      if (second.done) {
        this.#save(first.value, true);
        w.byte(OP.APPEND);
        return;
      }
      w.byte(OP.MARK);
      this.#save(first.value, true);
      this.#save(second.value, true);
      let n = 2;
      for (; n < BATCH_SIZE; n++) {
        const next = it.next();
        if (next.done) break;
        this.#save(next.value, true);
      }
      w.byte(OP.APPENDS);
      if (n < BATCH_SIZE) return;
    }
  }

  #batchSetItems(pairs: Iterable<readonly [unknown, unknown]>): void {
    const w = this.#w;
    const it = pairs[Symbol.iterator]();
    const savePair = (pair: readonly [unknown, unknown]): void => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new PickleError(PICKLE_ERROR_CODES.unpicklable, 'dictItems must be [key, value] pairs');
      }
      this.#save(pair[0], true);
      this.#save(pair[1], true);
    };
    for (;;) {
      const first = it.next();
      if (first.done) return;
      const second = it.next();
      if (second.done) {
        savePair(first.value);
        w.byte(OP.SETITEM);
        return;
      }
      w.byte(OP.MARK);
      savePair(first.value);
      savePair(second.value);
      let n = 2;
      for (; n < BATCH_SIZE; n++) {
        const next = it.next();
        if (next.done) break;
        savePair(next.value);
      }
      w.byte(OP.SETITEMS);
      if (n < BATCH_SIZE) return;
    }
  }
}

/**
 * Pickles `value` (protocol 3 by default). For ZEO messages pass
 * `{ memoize: false }`: the bytes then match what the Python ZEO client
 * and server send.
 */
export function encodePickle(value: unknown, options?: EncodeOptions): Buffer {
  return new PickleEncoder(options).dump(value).finish();
}

/** Pickles a ZODB record: the class pickle then the state pickle, with one shared memo. */
export function encodeRecord(classMeta: unknown, state: unknown, options?: EncodeOptions): Buffer {
  return new PickleEncoder(options).dump(classMeta).dump(state).finish();
}
