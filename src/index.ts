/**
 * zkzeo: ZODB databases served by ZEO, with ZooKeeper telling everyone where
 * the servers are.
 *
 * @packageDocumentation
 */
export { ZkzeoError, InvalidArgumentError } from './errors.js';
export { silentLogger } from './logger.js';
export type { Logger, LogFn } from './logger.js';

// ZooKeeper layer
export { ZkClient } from './zk/client.js';
export type { ZkClientOptions, NodeData, NodeAcl, NodeDataInput } from './zk/client.js';
export { ZkState } from './zk/states.js';
export type { ZkClientEvents } from './zk/states.js';
export { parseConnectionString, DEFAULT_CONNECTION_STRING } from './zk/connection-string.js';
export type { ParsedConnectionString, ServerAddress, ConnectionStringOptions } from './zk/connection-string.js';
export { validatePath, joinPath, parentPath, baseName } from './zk/paths.js';
export { retry, DEFAULT_RETRY_POLICY } from './zk/retry.js';
export type { RetryPolicy } from './zk/retry.js';
export { ZkTransaction } from './zk/transaction.js';
export type { TransactionResult, CreateResult, PathResult, SetResult } from './zk/transaction.js';
export { ChildrenWatch } from './zk/children-watch.js';
export type { ChildrenWatchCallback } from './zk/children-watch.js';
export { DataWatch } from './zk/data-watch.js';
export type { DataWatchCallback } from './zk/data-watch.js';
export { RearmingWatch } from './zk/rearming-watch.js';
export type { WatchOptions, WatchCallbackResult } from './zk/rearming-watch.js';
export { Perms, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, WatchEventType } from './zk/types.js';
export type { Stat, Acl, CreateOptions, SetOptions, DeleteOptions, WatchEvent, Watcher } from './zk/types.js';
export {
  ZooKeeperError,
  NoNodeError,
  NodeExistsError,
  BadVersionError,
  NotEmptyError,
  NoChildrenForEphemeralsError,
  NoAuthError,
  InvalidACLError,
  ConnectionLossError,
  SessionExpiredError,
  OperationTimeoutError,
  ConnectTimeoutError,
  ClientClosedError,
  InvalidPathError,
  ConnectionStringError,
  RetryFailedError,
  ServerError,
} from './zk/errors.js';
