/**
 * What one client connection can do with the storage it registered for
 * (Python's `ZEOStorage`): registration, reads, the commit calls, status.
 * Transport-free: the connection hands it decoded calls and gives it a
 * way to send one-way messages and to close.
 */
import type { Logger } from '../logger.js';
import type { Oid, Tid } from '../storage/oid.js';
import type { HistoryEntry, LoadBeforeResult } from '../storage/storage.js';
import { decodePickle } from '../pickle/decode.js';
import { encodePickle } from '../pickle/encode.js';
import { ReadOnlyError, ServerError, StorageTransactionError } from '../zeo/errors.js';
import { messageIdKey } from '../zeo/wire/message-id-key.js';
import type { IncomingCall } from '../zeo/wire/rpc-session.js';
import { PyFloat, tuple, type ZeoValue } from '../zeo/wire/values.js';
import { bytesArg, checkArity, idArg, intArg, numberArg, stringArg, textBytesArg, truthArg } from './call-arguments.js';
import type { HostedStorage, RegisteredClient } from './hosted-storage.js';
import { UNIMPLEMENTED_METHODS } from './method-names.js';
import { SessionTransaction, TRANSACTION_PHASES } from './session-transaction.js';
import { statusToWire } from './status.js';
import { toWireError } from './wire-errors.js';

/** What a session needs from its connection. */
export interface SessionPeer {
  /** Sends a one-way call to the client (`info`, `invalidateTransaction`). */
  callOneWay(method: string, args: readonly ZeoValue[]): void;
  /** Closes the connection (the session is then told {@link StorageSession.disconnected}). */
  close(reason: string): void;
}

/** Server-wide settings a session follows. */
export interface SessionContext {
  /** The storages served, by name. */
  readonly storages: ReadonlyMap<string, HostedStorage>;
  /** Serve everything read-only. */
  readonly readOnly: boolean;
  /** Return conflicts to clients instead of failing votes. */
  readonly clientConflictResolution: boolean;
  /** Close a connection holding the commit lock longer than this; none if undefined. */
  readonly transactionTimeoutMs: number | undefined;
  /** The time in milliseconds since the epoch. */
  readonly now: () => number;
  /** Where the session logs. */
  readonly logger: Logger;
}

const INTERFACES: ZeoValue = tuple(tuple('ZODB.interfaces', 'IStorage'), tuple('zope.interface', 'Interface'));
const MAX_OIDS_PER_CALL = 100;
const EMPTY_BYTES = Buffer.alloc(0);

function notImplemented(method: string): ServerError {
  const message = `zkzeo's ZEO server does not implement ${method}`;
  return new ServerError('builtins.NotImplementedError', tuple(message), message);
}

function pythonFloat(value: number): ZeoValue {
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

function loadBeforeReply(result: LoadBeforeResult | null): ZeoValue {
  return result === null ? null : tuple(result.data, result.serial, result.nextSerial);
}

/** Python's `repr` of the pack time as ZEO logs it (a float: `1700000000.0`). */
function pythonFloatRepr(value: number): string {
  // Python switches to exponent notation from 1e16 on, where JavaScript still writes digits.
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return String(value);
}

function rethrowForWire(error: unknown): never {
  throw toWireError(error);
}

/** The extension as the storage keeps it: a pickled dict, or empty bytes for none. */
function extensionBytes(value: ZeoValue | undefined): Buffer {
  if (value === undefined || value === null) return EMPTY_BYTES;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof Map) return value.size === 0 ? EMPTY_BYTES : encodePickle(value, { protocol: 3 });
  throw new TypeError('tpc_begin(): the extension must be a dict');
}

/** The extension items to merge into a history entry; none if they cannot be read as plain values. */
function extensionItems(extension: Buffer): Array<[ZeoValue, ZeoValue]> {
  if (extension.length === 0) return [];
  try {
    const dict = decodePickle(extension, {
      dicts: 'map',
      findClass: () => {
        throw new Error('globals are not plain values');
      },
    });
    return dict instanceof Map ? ([...dict] as Array<[ZeoValue, ZeoValue]>) : [];
  } catch {
    return [];
  }
}

function historyReply(entries: HistoryEntry[]): ZeoValue {
  return entries.map(
    (entry) =>
      new Map<ZeoValue, ZeoValue>([
        ['time', pythonFloat(entry.time)],
        ['user_name', entry.userName],
        ['description', entry.description],
        ['tid', entry.tid],
        ['size', entry.size],
        ...extensionItems(entry.extension),
      ]),
  );
}

/** One client's view of the server, after (and including) `register`. */
export class StorageSession implements RegisteredClient {
  readonly #context: SessionContext;
  readonly #peer: SessionPeer;
  #hosted: HostedStorage | undefined;
  #readOnly: boolean;
  #txn: SessionTransaction | undefined;
  #txnHandle: ZeoValue = null;
  #finishing: Promise<unknown> | undefined;
  #timeout: NodeJS.Timeout | undefined;
  #label = '';

  /** A session of a new connection; nothing is registered yet. */
  constructor(context: SessionContext, peer: SessionPeer) {
    this.#context = context;
    this.#peer = peer;
    this.#readOnly = context.readOnly;
  }

  /** Whether `register` succeeded. */
  get registered(): boolean {
    return this.#hosted !== undefined;
  }

  /** The client's label (`set_client_label`), or empty. */
  get label(): string {
    return this.#label;
  }

  /** The storage name registered for, if any. */
  get storageName(): string | undefined {
    return this.#hosted?.name;
  }

  /** Whether a transaction is between `tpc_begin` and its end. */
  get inTransaction(): boolean {
    return this.#txn !== undefined;
  }

  /** A `tpc_finish` in progress, which a shutdown should let complete. */
  get finishing(): Promise<unknown> | undefined {
    return this.#finishing;
  }

  /** Sends `invalidateTransaction(tid, oids)` to this client. */
  sendInvalidation(tid: Tid, oids: readonly Oid[]): void {
    this.#peer.callOneWay('invalidateTransaction', [tid, oids as Oid[]]);
  }

  /** Sends `info(info)` to this client. */
  sendInfo(info: ZeoValue): void {
    this.#peer.callOneWay('info', [info]);
  }

  #storage(): HostedStorage {
    // The connection lets only `register` through before registration.
    return this.#hosted as HostedStorage;
  }

  /**
   * Runs one call (whose name the connection already allowed) and returns
   * the reply value, or a promise of it. Throws or rejects with the error
   * to send.
   */
  handle(call: IncomingCall): ZeoValue | Promise<ZeoValue> {
    const { method, args } = call;
    switch (method) {
      case 'loadBefore':
        return this.#loadBefore(args);
      case 'register':
        return this.#register(args);
      case 'get_info':
        checkArity(method, args, 0);
        return this.#info(true);
      case 'lastTransaction':
        checkArity(method, args, 0);
        return this.#storage().storage.lastTransaction();
      case 'new_oids':
        return this.#newOids(args);
      case 'tpc_begin':
        this.#tpcBegin(args);
        return null;
      case 'storea':
        this.#storea(args);
        return null;
      case 'checkCurrentSerialInTransaction':
        this.#checkCurrent(args);
        return null;
      case 'vote':
        return this.#vote(args);
      case 'tpc_finish':
        return this.#tpcFinish(args);
      case 'tpc_abort':
        return this.#tpcAbort(args);
      case 'getInvalidations':
        return this.#getInvalidations(args);
      case 'pack':
        return this.#pack(args);
      case 'ping':
        return null;
      case 'loadSerial':
        checkArity(method, args, 2);
        return this.#storage().storage.loadSerial(idArg(method, args, 0, 'oid'), idArg(method, args, 1, 'serial')).catch(rethrowForWire);
      case 'getTid':
        checkArity(method, args, 1);
        return this.#storage().storage.getTid(idArg(method, args, 0, 'oid')).catch(rethrowForWire);
      case 'history':
        return this.#history(args);
      case 'server_status':
        checkArity(method, args, 0);
        return statusToWire(this.#storage().status());
      case 'set_client_label':
        checkArity(method, args, 1);
        this.#label = String(args[0]);
        return null;
      case 'undoLog':
      case 'undoInfo':
        // Python answers () for storages without undo, which ours are.
        return tuple();
      case 'iterator_gc':
        return null; // no iterators are ever handed out
      case 'new_oid':
        throw new ServerError('builtins.AttributeError', tuple("'ZEOStorage' object has no attribute 'new_oid'"));
      default:
        if (UNIMPLEMENTED_METHODS.has(method)) throw notImplemented(method);
        throw new ServerError('builtins.AttributeError', tuple(`'ZEOStorage' object has no attribute '${method}'`));
    }
  }

  #register(args: readonly ZeoValue[]): ZeoValue {
    checkArity('register', args, 2);
    const name = stringArg('register', args, 0, 'storage name');
    const hosted = this.#context.storages.get(name);
    if (hosted === undefined) {
      throw new ServerError('builtins.ValueError', tuple(`unknown storage: ${name}`), `unknown storage: ${name}`);
    }
    const readOnly = truthArg(args, 1);
    if (!readOnly && (this.#readOnly || hosted.storage.isReadOnly())) throw new ReadOnlyError();
    this.#readOnly = this.#readOnly || readOnly;
    this.#hosted = hosted;
    // Read and register in one synchronous step: no commit can fall in between.
    hosted.register(this);
    return hosted.storage.lastTransaction();
  }

  #info(full: boolean): ZeoValue {
    const hosted = this.#storage();
    const { storage } = hosted;
    const info = hosted.sizeInfo();
    if (full) {
      info.set('name', storage.getName());
      info.set('supportsUndo', false);
      info.set('supports_record_iternext', false);
      info.set('interfaces', INTERFACES);
    }
    return info;
  }

  #loadBefore(args: readonly ZeoValue[]): Promise<ZeoValue> {
    checkArity('loadBefore', args, 2);
    const oid = idArg('loadBefore', args, 0, 'oid');
    const tid = idArg('loadBefore', args, 1, 'tid');
    const hosted = this.#storage();
    hosted.stats.loads += 1;
    return hosted.storage.loadBefore(oid, tid).then(loadBeforeReply, rethrowForWire);
  }

  #newOids(args: readonly ZeoValue[]): Promise<ZeoValue> {
    checkArity('new_oids', args, 0, 1);
    const requested = intArg('new_oids', args, 0, 'n', MAX_OIDS_PER_CALL);
    if (this.#readOnly) throw new ReadOnlyError();
    const n = Math.max(1, Math.min(requested, MAX_OIDS_PER_CALL));
    return this.#storage().storage.newOids(n).catch(rethrowForWire);
  }

  /**
   * Python's `_check_tid`: read-only connections may not use transaction
   * calls; a handle that is not the current transaction's raises
   * `StorageTransactionError(current, given)` when `strict`, else yields undefined.
   */
  #current(handle: ZeoValue, strict: boolean): SessionTransaction | undefined {
    if (this.#readOnly) throw new ReadOnlyError();
    const txn = this.#txn;
    if (txn === undefined || txn.handleKey !== messageIdKey(handle)) {
      if (strict) throw new StorageTransactionError([txn === undefined ? null : this.#txnHandle, handle]);
      return undefined;
    }
    return txn;
  }

  #tpcBegin(args: readonly ZeoValue[]): void {
    checkArity('tpc_begin', args, 4, 6);
    if (this.#readOnly) throw new ReadOnlyError();
    const handle = args[0] as ZeoValue;
    const key = messageIdKey(handle);
    if (this.#txn !== undefined) {
      if (this.#txn.handleKey === key) return; // duplicate tpc_begin: ignored, as in Python
      throw new StorageTransactionError(['Multiple simultaneous tpc_begin requests from one client.']);
    }
    const meta = {
      user: textBytesArg('tpc_begin', args, 1, 'user'),
      description: textBytesArg('tpc_begin', args, 2, 'description'),
      extension: extensionBytes(args[3]),
    };
    const tid = args[4];
    const status = args[5];
    const begin: { tid?: Tid; status?: ' ' | 'p' } = {};
    if (tid !== undefined && tid !== null) begin.tid = idArg('tpc_begin', args, 4, 'tid');
    if (status !== undefined && status !== ' ') {
      if (status !== 'p') throw new TypeError(`tpc_begin(): unsupported transaction status ${JSON.stringify(status)}`);
      begin.status = status;
    }
    this.#txn = new SessionTransaction(key, meta, begin);
    this.#txnHandle = handle;
    this.#storage().stats.activeTxns += 1;
  }

  #storea(args: readonly ZeoValue[]): void {
    checkArity('storea', args, 4);
    const txn = this.#current(args[3] as ZeoValue, true) as SessionTransaction;
    const oid = idArg('storea', args, 0, 'oid');
    const serial = idArg('storea', args, 1, 'serial');
    const data = bytesArg('storea', args, 2, 'data');
    this.#storage().stats.stores += 1;
    txn.store(oid, serial, data);
  }

  #checkCurrent(args: readonly ZeoValue[]): void {
    const method = 'checkCurrentSerialInTransaction';
    checkArity(method, args, 3);
    const txn = this.#current(args[2] as ZeoValue, true) as SessionTransaction;
    txn.checkCurrent(idArg(method, args, 0, 'oid'), idArg(method, args, 1, 'serial'));
  }

  async #vote(args: readonly ZeoValue[]): Promise<ZeoValue> {
    checkArity('vote', args, 1);
    const txn = this.#current(args[0] as ZeoValue, true) as SessionTransaction;
    const hosted = this.#storage();
    try {
      return await txn.vote(hosted, {
        clientConflictResolution: this.#context.clientConflictResolution,
        locked: () => this.#locked(hosted),
        unlocked: () => this.#unlocked(hosted),
      });
    } finally {
      if (txn.phase === TRANSACTION_PHASES.ended) this.#clear(txn);
    }
  }

  #locked(hosted: HostedStorage): void {
    hosted.stats.lockTimeMs = this.#context.now();
    const limit = this.#context.transactionTimeoutMs;
    if (limit === undefined) return;
    this.#timeout = setTimeout(() => {
      this.#context.logger.error({ storage: hosted.name, label: this.#label }, `Transaction timeout after ${limit / 1000} seconds`);
      this.#peer.close('transaction timeout');
    }, limit);
    this.#timeout.unref();
  }

  #unlocked(hosted: HostedStorage): void {
    hosted.stats.lockTimeMs = null;
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    this.#timeout = undefined;
  }

  async #tpcFinish(args: readonly ZeoValue[]): Promise<ZeoValue> {
    checkArity('tpc_finish', args, 1);
    const txn = this.#current(args[0] as ZeoValue, false);
    if (txn === undefined) return null;
    const hosted = this.#storage();
    hosted.stats.commits += 1;
    const finishing = txn.finish(hosted, this);
    this.#finishing = finishing;
    try {
      const tid = await finishing;
      this.#peer.callOneWay('info', [this.#info(false)]);
      return tid;
    } finally {
      this.#finishing = undefined;
      this.#clear(txn);
    }
  }

  async #tpcAbort(args: readonly ZeoValue[]): Promise<ZeoValue> {
    checkArity('tpc_abort', args, 1);
    const txn = this.#current(args[0] as ZeoValue, false);
    if (txn === undefined) return null;
    this.#storage().stats.aborts += 1;
    this.#clear(txn);
    await txn.abort(this.#storage()).catch(rethrowForWire);
    return null;
  }

  #clear(txn: SessionTransaction): void {
    if (this.#txn !== txn) return;
    this.#txn = undefined;
    this.#txnHandle = null;
    this.#storage().stats.activeTxns -= 1;
  }

  /**
   * Python's `pack(time, wait=1)`, allowed on read-only connections too
   * (a storage that is itself read-only refuses). With `wait` the reply
   * comes once the pack is done; without, at once, the pack going on in
   * the background and a failure only logged (it is logged either way).
   * Other calls are answered meanwhile in both cases.
   */
  #pack(args: readonly ZeoValue[]): ZeoValue | Promise<ZeoValue> {
    checkArity('pack', args, 1, 2);
    const time = numberArg('pack', args, 0, 'time');
    const wait = args.length < 2 || truthArg(args, 1);
    const hosted = this.#storage();
    const { logger } = this.#context;
    const fields = { storage: hosted.name, label: this.#label };
    const described = `pack(time=${pythonFloatRepr(time)})`;
    logger.info(fields, `${described} started...`);
    const run = hosted.pack(time).then(
      () => logger.info(fields, `${described} complete`),
      (error: unknown) => {
        // Logged whether or not the client waits: it is the server's storage that could not be packed.
        const message = error instanceof Error ? error.message : String(error);
        logger.error({ ...fields, err: error }, `${described} failed: ${message}`);
        throw error;
      },
    );
    if (wait) return run.then(() => null, rethrowForWire);
    run.catch(() => undefined);
    return null;
  }

  #getInvalidations(args: readonly ZeoValue[]): ZeoValue {
    checkArity('getInvalidations', args, 1);
    const since = this.#storage().invalidations.since(idArg('getInvalidations', args, 0, 'tid'));
    return since === null ? null : tuple(since.tid, since.oids);
  }

  #history(args: readonly ZeoValue[]): Promise<ZeoValue> {
    checkArity('history', args, 1, 2);
    const oid = idArg('history', args, 0, 'oid');
    const size = Math.max(1, intArg('history', args, 1, 'size', 1));
    return this.#storage().storage.history(oid, size).then(historyReply, rethrowForWire);
  }

  /**
   * The connection is gone: a transaction in progress is aborted (its
   * lock released or its place in the lock queue given up), unless it is
   * already finishing, and the session stops receiving invalidations.
   */
  async disconnected(): Promise<void> {
    const hosted = this.#hosted;
    if (hosted === undefined) return;
    hosted.unregister(this);
    const txn = this.#txn;
    if (txn !== undefined && txn.phase !== TRANSACTION_PHASES.finishing) {
      this.#context.logger.info({ storage: hosted.name, label: this.#label }, `disconnected during ${txn.holdsLock ? 'locked' : 'unlocked'} transaction`);
      hosted.stats.aborts += 1;
      this.#clear(txn);
      await txn.abort(hosted);
    }
    await this.#finishing?.catch(() => undefined);
  }
}
