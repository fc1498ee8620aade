/**
 * The decoding stack machine: one `Buffer`, an offset cursor, a value
 * stack with a separate list of MARK positions, and a memo that survives
 * from one pickle to the next. The hot opcodes (everything ZODB and ZEO
 * write) are handled in one switch; the rest live in `rare-opcodes.ts`.
 */
import { InvalidArgumentError } from '../errors.js';
import { BUILTIN_CLASSES } from './builtin-classes.js';
import { python3Name } from './compat-names.js';
import { checkDecodeOptions, type DecodeOptions, type Py2StringMode } from './decode-options.js';
import { PICKLE_ERROR_CODES, PickleError, type PickleErrorCode } from './errors.js';
import { readLong } from './long-bytes.js';
import { OP, opcodeName } from './opcodes.js';
import { runRareOpcode } from './rare-opcodes.js';
import { Utf8Error, decodeUtf8 } from './utf8.js';
import { describe, hookMethod, isPlainDict, isSafeObjectKey } from './value-checks.js';
import { EMPTY_TUPLE, PyFloat, PyGlobal, PyObject, Tuple, pickleCall, pickleNew, pickleSetState, tuple } from './values.js';

type StackValue = unknown;

/** @internal The decoder's state and opcode handlers; the public face is `PickleDecoder`. */
export class UnpicklerMachine {
  readonly buf: Buffer;
  pos: number;
  opStart = 0;
  op = 0;
  stack: StackValue[] = [];
  marks: number[] = [];
  memo: StackValue[] = [];
  proto = 0;
  readonly persistentLoad: ((pid: unknown) => unknown) | undefined;
  readonly findClass: ((module: string, name: string) => unknown) | undefined;
  readonly autoDicts: boolean;
  readonly wrapIntegralFloats: boolean;
  readonly copyBytes: boolean;
  readonly py2Strings: Py2StringMode;
  readonly fixImports: boolean;
  /** Memo slot of each memoized plain-object dict, to swap it for a Map if a later key needs one. */
  readonly dictSlots = new Map<object, number>();
  /** Memoized plain-object dicts already fetched from the memo: references to them exist. */
  readonly fetchedDicts = new Set<object>();

  constructor(buf: Buffer, options: DecodeOptions = {}, offset = 0) {
    if (!Buffer.isBuffer(buf)) throw new InvalidArgumentError('buf must be a Buffer');
    if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) {
      throw new InvalidArgumentError(`offset must be an integer in [0, ${buf.length}], not ${offset}`);
    }
    checkDecodeOptions(options);
    this.buf = buf;
    this.pos = offset;
    this.persistentLoad = options.persistentLoad;
    this.findClass = options.findClass;
    this.autoDicts = (options.dicts ?? 'auto') === 'auto';
    this.wrapIntegralFloats = (options.integralFloats ?? 'wrap') === 'wrap';
    this.copyBytes = options.copyBytes ?? false;
    this.py2Strings = options.py2Strings ?? 'ascii-or-bytes';
    this.fixImports = options.fixImports ?? true;
  }

  /** Forgets all memoized values (Python's `Unpickler.memo.clear()`). */
  clearMemo(): void {
    this.memo = [];
    this.dictSlots.clear();
  }

  /**
   * Decodes the next pickle and returns its value. Throws a
   * {@link PickleError} naming the opcode and offset on malformed or
   * truncated input; the cursor is then undefined.
   */
  load(): unknown {
    const buf = this.buf;
    const end = buf.length;
    const stack: StackValue[] = (this.stack = []);
    this.marks = [];
    this.proto = 0;
    for (;;) {
      const start = this.pos;
      if (start >= end) {
        this.opStart = start;
        throw new PickleError(PICKLE_ERROR_CODES.truncated, 'input ended before STOP', { opcode: 'EOF', offset: start });
      }
      const op = buf[start] as number;
      this.opStart = start;
      this.op = op;
      this.pos = start + 1;
      switch (op) {
        case OP.BINUNICODE: {
          const n = this.uint32();
          stack.push(this.utf8(n));
          break;
        }
        case OP.BINPUT:
          this.put(this.uint8());
          break;
        case OP.BINGET:
          stack.push(this.get(this.uint8()));
          break;
        case OP.BININT1:
          stack.push(this.uint8());
          break;
        case OP.MARK:
          this.marks.push(stack.length);
          break;
        case OP.EMPTY_DICT:
          stack.push(this.autoDicts ? {} : new Map());
          break;
        case OP.EMPTY_LIST:
          stack.push([]);
          break;
        case OP.EMPTY_TUPLE:
          stack.push(EMPTY_TUPLE);
          break;
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.topIndex(), [key, value], 0, 2);
          break;
        }
        case OP.SETITEMS: {
          const from = this.popMark();
          if ((stack.length - from) % 2 !== 0) throw this.fail(PICKLE_ERROR_CODES.badValue, 'odd number of items after MARK');
          this.setItems(this.indexBelow(from), stack, from, stack.length);
          stack.length = from;
          break;
        }
        case OP.APPEND: {
          const value = this.pop();
          this.appendItems(this.top(), [value], 0, 1);
          break;
        }
        case OP.APPENDS: {
          const from = this.popMark();
          this.appendItems(stack[this.indexBelow(from)], stack, from, stack.length);
          stack.length = from;
          break;
        }
        case OP.TUPLE1:
          stack.push(tuple(this.pop()));
          break;
        case OP.TUPLE2: {
          const b = this.pop();
          stack.push(tuple(this.pop(), b));
          break;
        }
        case OP.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          stack.push(tuple(this.pop(), b, c));
          break;
        }
        case OP.TUPLE: {
          const from = this.popMark();
          const items = stack.slice(from);
          stack.length = from;
          stack.push(items.length === 0 ? EMPTY_TUPLE : Tuple.adopt(items));
          break;
        }
        case OP.SHORT_BINBYTES:
          stack.push(this.bytes(this.uint8()));
          break;
        case OP.BINBYTES:
          stack.push(this.bytes(this.uint32()));
          break;
        case OP.BININT2:
          this.need(2);
          stack.push(buf.readUInt16LE(this.pos));
          this.pos += 2;
          break;
        case OP.BININT:
          this.need(4);
          stack.push(buf.readInt32LE(this.pos));
          this.pos += 4;
          break;
        case OP.LONG1:
          stack.push(this.long(this.uint8()));
          break;
        case OP.LONG4:
          stack.push(this.long(this.length(this.int32())));
          break;
        case OP.BINFLOAT:
          this.need(8);
          stack.push(this.float(buf.readDoubleBE(this.pos)));
          this.pos += 8;
          break;
        case OP.NONE:
          stack.push(null);
          break;
        case OP.NEWTRUE:
          stack.push(true);
          break;
        case OP.NEWFALSE:
          stack.push(false);
          break;
        case OP.GLOBAL: {
          const module = this.lineText();
          const name = this.lineText();
          stack.push(this.global(module, name, this.proto < 3));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') {
            throw this.fail(PICKLE_ERROR_CODES.badValue, 'module and name must be strings');
          }
          stack.push(this.global(module, name, this.proto < 3));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const index = this.topIndex();
          stack[index] = this.construct('reduce', stack[index], args);
          break;
        }
        case OP.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          stack.push(this.construct('newobj', cls, args));
          break;
        }
        case OP.NEWOBJ_EX: {
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          const noKwargs = kwargs instanceof Map ? kwargs.size === 0 : isPlainDict(kwargs) && Object.keys(kwargs).length === 0;
          if (!noKwargs) throw this.fail(PICKLE_ERROR_CODES.unsupported, 'keyword arguments to __new__ are not supported');
          stack.push(this.construct('newobj', cls, args));
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case OP.BINPERSID:
          stack.push(this.persistent(this.pop()));
          break;
        case OP.PERSID:
          stack.push(this.persistent(this.lineAscii()));
          break;
        case OP.LONG_BINPUT:
          this.put(this.uint32());
          break;
        case OP.LONG_BINGET:
          stack.push(this.get(this.uint32()));
          break;
        case OP.MEMOIZE:
          this.put(this.memo.length);
          break;
        case OP.PROTO: {
          const proto = this.uint8();
          if (proto > 5) throw this.fail(PICKLE_ERROR_CODES.unsupported, `unsupported pickle protocol ${proto}`);
          this.proto = proto;
          break;
        }
        case OP.FRAME:
          // Framing is only a buffering hint; check the length and read on.
          this.length(this.uint64());
          break;
        case OP.STOP: {
          const value = this.pop();
          this.stack = [];
          this.marks = [];
          return value;
        }
        default:
          runRareOpcode(this, op, stack);
      }
    }
  }

  // --- errors -------------------------------------------------------------

  fail(code: PickleErrorCode, reason: string, cause?: unknown): PickleError {
    return new PickleError(code, reason, { opcode: opcodeName(this.op), offset: this.opStart }, cause === undefined ? undefined : { cause });
  }

  parse<T>(parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      throw this.fail(PICKLE_ERROR_CODES.badValue, (err as Error).message, err);
    }
  }

  // --- reading arguments --------------------------------------------------

  need(n: number): void {
    const left = this.buf.length - this.pos;
    if (n > left) throw this.fail(PICKLE_ERROR_CODES.truncated, `truncated: needs ${n} bytes, ${left} left`);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  uint64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  /** Validates a length argument: not negative, not past the end of the input. */
  length(n: number): number {
    if (n < 0) throw this.fail(PICKLE_ERROR_CODES.badValue, `negative length ${n}`);
    this.need(n);
    return n;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const start = this.pos;
    this.pos = start + n;
    const view = this.buf.subarray(start, start + n);
    return this.copyBytes ? Buffer.from(view) : view;
  }

  utf8(n: number): string {
    this.need(n);
    const start = this.pos;
    this.pos = start + n;
    try {
      return decodeUtf8(this.buf, start, start + n);
    } catch (err) {
      if (err instanceof Utf8Error) throw this.fail(PICKLE_ERROR_CODES.badValue, err.message, err);
      throw err;
    }
  }

  long(n: number): number | bigint {
    this.need(n);
    const v = readLong(this.buf, this.pos, n);
    this.pos += n;
    return v;
  }

  float(v: number): number | PyFloat {
    return this.wrapIntegralFloats && Number.isInteger(v) && !Object.is(v, -0) ? new PyFloat(v) : v;
  }

  /** The bytes up to the next newline (excluded); the cursor moves past it. */
  line(): Buffer {
    const start = this.pos;
    const nl = this.buf.indexOf(0x0a, start);
    if (nl < 0) throw this.fail(PICKLE_ERROR_CODES.truncated, 'truncated: no newline after the text argument');
    this.pos = nl + 1;
    return this.buf.subarray(start, nl);
  }

  lineText(): string {
    const line = this.line();
    try {
      return decodeUtf8(line, 0, line.length);
    } catch (err) {
      throw this.fail(PICKLE_ERROR_CODES.badValue, (err as Error).message, err);
    }
  }

  lineAscii(): string {
    const line = this.line();
    for (const c of line) if (c >= 0x80) throw this.fail(PICKLE_ERROR_CODES.badValue, 'non-ASCII byte in text argument');
    return line.toString('latin1');
  }

  py2String(bytes: Buffer): string | Buffer {
    switch (this.py2Strings) {
      case 'bytes':
        return bytes;
      case 'latin1':
        return bytes.toString('latin1');
      default:
        for (const c of bytes) if (c >= 0x80) return bytes;
        return bytes.toString('latin1');
    }
  }

  // --- stack and memo -----------------------------------------------------

  /** The lowest stack index the current opcode may touch (the last MARK). */
  floor(): number {
    const marks = this.marks;
    return marks.length === 0 ? 0 : (marks[marks.length - 1] as number);
  }

  pop(): StackValue {
    const stack = this.stack;
    if (stack.length <= this.floor()) throw this.fail(PICKLE_ERROR_CODES.stackUnderflow, 'stack underflow');
    return stack.pop();
  }

  topIndex(): number {
    const index = this.stack.length - 1;
    if (index < this.floor()) throw this.fail(PICKLE_ERROR_CODES.stackUnderflow, 'stack underflow');
    return index;
  }

  /** The index of the value just below a popped MARK at `from` (the container a batch goes into). */
  indexBelow(from: number): number {
    if (from - 1 < this.floor()) throw this.fail(PICKLE_ERROR_CODES.stackUnderflow, 'no value below MARK');
    return from - 1;
  }

  top(): StackValue {
    return this.stack[this.topIndex()];
  }

  popMark(): number {
    const from = this.marks.pop();
    if (from === undefined) throw this.fail(PICKLE_ERROR_CODES.stackUnderflow, 'no MARK on the stack');
    return from;
  }

  put(index: number): void {
    const value = this.top();
    this.memo[index] = value;
    if (this.autoDicts && isPlainDict(value)) this.dictSlots.set(value, index);
  }

  get(index: number): StackValue {
    const value = this.memo[index];
    if (value === undefined) throw this.fail(PICKLE_ERROR_CODES.badMemoRef, `memo slot ${index} is empty`);
    if (this.dictSlots.size > 0 && typeof value === 'object' && value !== null && this.dictSlots.has(value)) {
      this.fetchedDicts.add(value);
    }
    return value;
  }

  // --- containers ---------------------------------------------------------

  /** Sets `items[from, to)` (key, value, key, value…) on the dict-like at `stack[index]`. */
  setItems(index: number, items: readonly StackValue[], from: number, to: number): void {
    const target = this.stack[index];
    if (target instanceof PyObject) {
      const pairs = (target.dictItems ??= []);
      for (let i = from; i < to; i += 2) pairs.push([items[i], items[i + 1]]);
      return;
    }
    let map: Map<unknown, unknown>;
    if (target instanceof Map) {
      map = target;
    } else if (isPlainDict(target)) {
      let i = from;
      for (; i < to; i += 2) {
        const key = items[i];
        if (typeof key !== 'string' || !isSafeObjectKey(key)) break;
        target[key] = items[i + 1];
      }
      if (i === to) return;
      map = this.toMap(target, index);
      from = i;
    } else {
      throw this.fail(PICKLE_ERROR_CODES.badValue, `cannot set items on a ${describe(target)}`);
    }
    for (let i = from; i < to; i += 2) map.set(items[i], items[i + 1]);
  }

  /** Replaces a plain-object dict by an equivalent Map, on the stack and in the memo. */
  toMap(dict: Record<string, unknown>, index: number): Map<unknown, unknown> {
    // References to the plain object already exist (a dict inside itself,
    // say); swapping would leave them behind, so decode again with Maps.
    if (this.fetchedDicts.has(dict)) throw new DictModeRestart();
    const map = new Map<unknown, unknown>(Object.entries(dict));
    this.stack[index] = map;
    const slot = this.dictSlots.get(dict);
    if (slot !== undefined) {
      this.memo[slot] = map;
      this.dictSlots.delete(dict);
    }
    return map;
  }

  appendItems(target: StackValue, items: readonly StackValue[], from: number, to: number): void {
    if (Array.isArray(target) && !(target instanceof Tuple)) {
      for (let i = from; i < to; i++) target.push(items[i]);
    } else if (target instanceof PyObject) {
      const list = (target.listItems ??= []);
      for (let i = from; i < to; i++) list.push(items[i]);
    } else {
      throw this.fail(PICKLE_ERROR_CODES.badValue, `cannot append to a ${describe(target)}`);
    }
  }

  addToSet(target: StackValue, items: StackValue[]): void {
    if (target instanceof PyObject && target.callable instanceof PyGlobal && target.callable.qualifiedName === 'builtins.set') {
      const first = target.args[0];
      if (target.args.length === 1 && Array.isArray(first) && !(first instanceof Tuple)) {
        for (const item of items) first.push(item);
        return;
      }
      throw this.fail(PICKLE_ERROR_CODES.badValue, 'cannot add items to a set built with unusual arguments');
    }
    const add = (target as { add?: unknown } | null)?.add;
    if (typeof add !== 'function') throw this.fail(PICKLE_ERROR_CODES.badValue, `cannot add items to a ${describe(target)}`);
    for (const item of items) add.call(target, item);
  }

  // --- objects ------------------------------------------------------------

  global(module: string, name: string, renamable: boolean): unknown {
    if (renamable && this.fixImports) [module, name] = python3Name(module, name);
    if (this.findClass) {
      const found = this.findClass(module, name);
      if (found !== undefined) return found;
    }
    return BUILTIN_CLASSES.get(`${module}\n${name}`) ?? new PyGlobal(module, name);
  }

  construct(kind: 'reduce' | 'newobj', callable: StackValue, args: StackValue): unknown {
    if (!Array.isArray(args)) throw this.fail(PICKLE_ERROR_CODES.badValue, `arguments must be a tuple, not a ${describe(args)}`);
    const argTuple = args instanceof Tuple ? args : Tuple.fromItems(args);
    const hook = hookMethod(callable, kind === 'reduce' ? pickleCall : pickleNew);
    const built = hook ? hook.call(callable, argTuple) : undefined;
    return built === undefined ? new PyObject(kind, callable, args) : built;
  }

  build(target: StackValue, state: StackValue): void {
    const setState = hookMethod(target, pickleSetState);
    if (setState) setState.call(target, state);
    else if (target instanceof PyObject) target.state = state;
    else throw this.fail(PICKLE_ERROR_CODES.badValue, `cannot set state on a ${describe(target)}`);
  }

  persistent(pid: StackValue): unknown {
    if (!this.persistentLoad) {
      throw this.fail(PICKLE_ERROR_CODES.noPersistentLoad, 'persistent reference found but no persistentLoad hook was given');
    }
    const value = this.persistentLoad(pid);
    if (value === undefined) throw this.fail(PICKLE_ERROR_CODES.badValue, 'persistentLoad returned undefined');
    return value;
  }
}

/**
 * Thrown when a dict that was decoded as a plain object, and is already
 * referenced, turns out to need a Map: the decoder starts the pickle again
 * with Maps for all dicts.
 * @internal
 */
export class DictModeRestart extends Error {}
