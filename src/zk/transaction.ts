import { CreateMode, type Transaction as RawTransaction } from 'node-zookeeper-client';
import { InvalidArgumentError } from '../errors.js';
import { errorForCode, type ZooKeeperError } from './errors.js';
import { nodeDataBytes } from './node-data.js';
import { validatePath } from './paths.js';
import { OPEN_ACL_UNSAFE, type Acl, type Stat } from './types.js';
import { toRawAcl, toStat, type RawClient } from './underlying.js';

/** The outcome of one operation of a committed {@link ZkTransaction}. */
export type TransactionResult = CreateResult | PathResult | SetResult;

/** A created node. */
export interface CreateResult {
  /** The operation. */
  readonly type: 'create';
  /** The created path (with the sequence number for sequential nodes). */
  readonly path: string;
}

/** A delete or a check that passed. */
export interface PathResult {
  /** The operation. */
  readonly type: 'delete' | 'check';
  /** The node's path. */
  readonly path: string;
}

/** A data change. */
export interface SetResult {
  /** The operation. */
  readonly type: 'set';
  /** The node's path. */
  readonly path: string;
  /** The node's metadata after the change. */
  readonly stat: Stat;
}

type Operation =
  | { type: 'create'; path: string; data: Buffer; acl: readonly Acl[]; mode: number }
  | { type: 'delete'; path: string; version: number }
  | { type: 'set'; path: string; data: Buffer; version: number }
  | { type: 'check'; path: string; version: number };

/** What the library's multi reply holds per operation. */
interface RawOpResult {
  readonly type: number;
  readonly err?: number;
  readonly path?: string;
  readonly stat?: Parameters<typeof toStat>[0];
}

/** Sends a built transaction; supplied by the client so it goes through its request bookkeeping. */
type Committer = (
  send: (raw: RawClient, done: (error: unknown, value?: TransactionResult[]) => void) => void,
) => Promise<TransactionResult[]>;

const MULTI_ERROR = -1;
const RUNTIME_INCONSISTENCY = -2;

/**
 * A multi-operation transaction: collect operations, then {@link commit}.
 * Either every operation is applied or none. When one fails, `commit`
 * rejects with that operation's typed error (e.g. {@link BadVersionError}),
 * whose `operationIndex` says which one.
 *
 * @example
 * ```ts
 * await zk.transaction().check('/lock', 3).set('/config', 'v2').delete('/old').commit();
 * ```
 */
export class ZkTransaction {
  readonly #commit: Committer;
  readonly #operations: Operation[] = [];
  #committed = false;

  /** @internal */
  constructor(commit: Committer) {
    this.#commit = commit;
  }

  /** Adds a create (`ephemeral`, `sequence` and `acl` as for {@link ZkClient.create}). */
  create(
    path: string,
    data: Uint8Array | string = '',
    options: { ephemeral?: boolean; sequence?: boolean; acl?: readonly Acl[] } = {},
  ): this {
    validatePath(path, options.sequence === true);
    const mode =
      (options.ephemeral === true ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT) + (options.sequence === true ? 2 : 0);
    this.#operations.push({ type: 'create', path, data: nodeDataBytes(path, data), acl: options.acl ?? OPEN_ACL_UNSAFE, mode });
    return this;
  }

  /** Adds a delete; with `version`, only of that version. */
  delete(path: string, version = -1): this {
    this.#operations.push({ type: 'delete', path: validatePath(path), version });
    return this;
  }

  /** Adds a data change; with `version`, only of that version. */
  set(path: string, data: Uint8Array | string, version = -1): this {
    this.#operations.push({ type: 'set', path: validatePath(path), data: nodeDataBytes(path, data), version });
    return this;
  }

  /** Adds a check that the node has `version` (the transaction fails otherwise). */
  check(path: string, version: number): this {
    this.#operations.push({ type: 'check', path: validatePath(path), version });
    return this;
  }

  /** Sends all operations as one request; resolves with one result per operation. */
  commit(): Promise<TransactionResult[]> {
    if (this.#committed) return Promise.reject(new InvalidArgumentError('this transaction was committed already'));
    this.#committed = true;
    const operations = this.#operations;
    return this.#commit((raw, done) => {
      const transaction = raw.transaction();
      for (const op of operations) add(transaction, op);
      transaction.commit((error: unknown, results?: RawOpResult[]) => {
        const failed = results?.findIndex((r) => r.type === MULTI_ERROR && r.err !== 0 && r.err !== RUNTIME_INCONSISTENCY);
        if (results !== undefined && failed !== undefined && failed >= 0) {
          const result = results[failed];
          const failure: ZooKeeperError = errorForCode(result?.err ?? 0, 'multi', operations[failed]?.path);
          failure.operationIndex = failed;
          done(failure);
        } else if (error) {
          done(error);
        } else {
          done(null, (results ?? []).map((result, i) => toResult(operations[i]!, result)));
        }
      });
    });
  }
}

function add(transaction: RawTransaction, op: Operation): void {
  addRaw(transaction, op);
  // node-zookeeper-client 1.1.3 writes `version || -1`, turning version 0
  // into "any version"; put the version we were given back.
  if (op.type !== 'create') {
    const ops = (transaction as unknown as { ops: { version: number }[] }).ops;
    ops[ops.length - 1]!.version = op.version;
  }
}

function addRaw(transaction: RawTransaction, op: Operation): void {
  switch (op.type) {
    case 'create':
      transaction.create(op.path, op.data, toRawAcl(op.acl), op.mode);
      break;
    case 'delete':
      transaction.remove(op.path, op.version);
      break;
    case 'set':
      transaction.setData(op.path, op.data, op.version);
      break;
    case 'check':
      transaction.check(op.path, op.version);
      break;
  }
}

function toResult(op: Operation, result: RawOpResult): TransactionResult {
  switch (op.type) {
    case 'create':
      return { type: 'create', path: result.path ?? op.path };
    case 'set':
      return { type: 'set', path: op.path, stat: toStat(result.stat!) };
    default:
      return { type: op.type, path: op.path };
  }
}
