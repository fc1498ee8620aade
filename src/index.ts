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
export type { ZkClientOptions, NodeData, NodeAcl, PersistentWatchOptions } from './zk/client.js';
export type { NodeDataInput } from './zk/node-data.js';
export { MAX_DATA_BYTES } from './zk/node-data.js';
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
export type { ChildrenWatchCallback, ChildrenWatchOptions } from './zk/children-watch.js';
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
  UnimplementedError,
} from './zk/errors.js';

// Configuration (ZConfig syntax)
export { parseServerConfig, loadServerConfigFile } from './config/server-schema.js';
export type {
  ServerConfig,
  ZeoServerOptions,
  ServerSslConfig,
  ZookeeperRegistrationConfig,
  RunnerConfig,
  ServedStorage,
  ConfigParseOptions,
} from './config/server-schema.js';
export {
  parseDatabaseConfig,
  loadDatabaseConfigFile,
  parseStorageConfig,
  loadStorageConfigFile,
} from './config/database-schema.js';
export type { DatabaseConfig, ZodbDatabaseConfig, StorageOnlyConfig } from './config/database-schema.js';
export type {
  StorageConfig,
  FileStorageConfig,
  MappingStorageConfig,
  DemoStorageConfig,
  BlobStorageConfig,
} from './config/storage-schema.js';
export type {
  ZeoClientOptions,
  ZeoClientStorageConfig,
  ZkZeoClientStorageConfig,
  ClientStorageConfig,
  ClientSslConfig,
} from './config/client-storage-schema.js';
export type {
  EventLogConfig,
  LogHandlerConfig,
  LogFileHandlerConfig,
  SyslogHandlerConfig,
  LogHandlerOptions,
  LogFormatStyle,
} from './config/eventlog-schema.js';
export { ConfigError, ConfigSyntaxError, ConfigIncludeError, ConfigSchemaError, ConfigValueError } from './config/errors.js';
export type { SourceLocation, ConfigDocument, ConfigSection, ConfigValue, ImportDirective } from './config/config-tree.js';
export type { ConfigWarning } from './config/section-matcher.js';
export { parseZConfig, parseZConfigFile, ANONYMOUS_SOURCE } from './config/zconfig-parser.js';
export type { ZConfigParseOptions } from './config/zconfig-parser.js';
export type { EnvironmentLookup } from './config/substitution.js';
export { parseSocketAddress, formatSocketAddress, SocketAddressRole } from './config/socket-address.js';
export type { SocketAddress, UnixSocketAddress, InetSocketAddress } from './config/socket-address.js';

// ZEO protocol: errors and the wire layer (shared by client and server)
// (the POSException errors a server raises are the storage classes below)
export {
  ZEO_ERROR_CODES,
  ZeoError,
  ProtocolError,
  ClientDisconnected,
  ServerError as RemoteServerError,
  BTreesConflictError,
} from './zeo/errors.js';
export type { ZeoErrorCode, ProtocolErrorCode, ServerException, BTreesConflictDetails } from './zeo/errors.js';
export type { ZeoValue } from './zeo/wire/values.js';
export { isTuple, isSequence } from './zeo/wire/values.js';
export { FrameDecoder, FRAME_HEADER_BYTES, DEFAULT_MAX_FRAME_BYTES } from './zeo/wire/frame-decoder.js';
export type { FrameDecoderOptions } from './zeo/wire/frame-decoder.js';
export { encodeFrame, frameHeader, frameParts, sealFrame } from './zeo/wire/frame-encoder.js';
export {
  ZEO_PROTOCOL_VERSION,
  ENCODING_LETTERS,
  RUOK,
  encodeHandshake,
  parseServerHandshake,
  parseClientHandshake,
} from './zeo/wire/handshake.js';
export type { ServerAnnouncement, ClientHandshake } from './zeo/wire/handshake.js';
export { ZEO_ENCODINGS } from './zeo/wire/marshaller.js';
export type { Marshaller, ZeoEncoding } from './zeo/wire/marshaller.js';
export {
  MESSAGE_KINDS,
  REPLY_NAME,
  HEARTBEAT_MSGID,
  heartbeatMessage,
  pythonTruthy,
  messageFromTuple,
  messageToTuple,
  describeType,
} from './zeo/wire/message.js';
export type {
  MessageKind,
  MessageId,
  CallMessage,
  OneWayMessage,
  ReplyMessage,
  ErrorReplyMessage,
  HeartbeatMessage,
  ZeoMessage,
} from './zeo/wire/message.js';
export { messageIdKey } from './zeo/wire/message-id-key.js';
export { MsgpackMarshaller } from './zeo/wire/msgpack-marshaller.js';
export { PickleMarshaller } from './zeo/wire/pickle-marshaller.js';
export { RpcSession } from './zeo/wire/rpc-session.js';
export type { IncomingCall, IncomingCallHandler, RpcSessionOptions, CallOptions } from './zeo/wire/rpc-session.js';
export { PYTHON_EXCEPTION_CLASSES, errorFromReply, errorToPayload, errorReplyFor } from './zeo/wire/server-exceptions.js';
export type { ExceptionPayload } from './zeo/wire/server-exceptions.js';

// Storages: the interface, FileStorage (Data.fs) and an in-memory storage
export type {
  Storage,
  StorageEvents,
  TransactionMetaData,
  TransactionStatus,
  TpcBeginOptions,
  LoadResult,
  LoadBeforeResult,
  HistoryEntry,
  Invalidation,
  ConflictResolver,
  PackOptions,
} from './storage/storage.js';
export {
  type Oid,
  type Tid,
  type OidKey,
  z64,
  maxTid,
  p64,
  u64,
  idToHex,
  idFromHex,
  idRepr,
  compareIds,
  oidKey,
  oidFromKey,
} from './storage/oid.js';
export { TimeStamp, TidClock, readableTidRepr, tidFromDate, tidToDate, type TidClockOptions } from './storage/timestamp.js';
export {
  STORAGE_ERROR_CODES,
  type StorageErrorCode,
  StorageError,
  POSKeyError,
  ConflictError,
  ReadConflictError,
  ReadOnlyError,
  StorageTransactionError,
  CorruptFileError,
  StorageLockedError,
  StorageClosedError,
  TransactionOutcomeUnknownError,
  PackError,
  type ConflictDetail,
} from './storage/errors.js';
export { recordReferences } from './storage/record-references.js';
export { BaseStorage, type BaseStorageOptions } from './storage/base-storage.js';
export { MappingStorage, type MappingStorageOptions } from './storage/mapping-storage.js';
export { FileStorage, type FileStorageOptions } from './storage/file-storage/file-storage.js';

// Service registry and tree model (zc.zk)
export { ZooKeeper, ZK } from './registry/zookeeper.js';
export type { ZooKeeperOptions, ZooKeeperEvents, RegisteringEvent, RegisterOptions } from './registry/zookeeper.js';
export { Registration } from './registry/registration.js';
export type { RegistrationProperties } from './registry/registration.js';
export { ChildrenView } from './registry/children-view.js';
export type { ChildrenChange, ChildrenViewCallback, ChildrenViewOptions } from './registry/children-view.js';
export { PropertiesView } from './registry/properties-view.js';
export type { PropertiesViewCallback, PropertiesViewOptions } from './registry/properties-view.js';
export { resolvePath, makeLink } from './registry/resolver.js';
export { importTree, exportTree, deleteRecursive, isEphemeral, walk } from './registry/tree-sync.js';
export type {
  ImportTreeOptions,
  ExportTreeOptions,
  DeleteRecursiveOptions,
  WalkOptions,
  MessageSink,
} from './registry/tree-sync.js';
export { parseServerAddress, formatServerAddress } from './registry/server-address.js';
export type { AddressInput, HostPort } from './registry/server-address.js';
export { hostIPv4Addresses } from './registry/host-addresses.js';
export {
  TreeSyntaxError,
  TreeSyntaxErrorKind,
  type TreeSyntaxErrorDetails,
  PythonLiteralError,
  NodeDataError,
  BadPropertyLinkError,
  PythonJsonSyntaxError,
  LinkLoopError,
  FailedConnectError,
} from './registry/errors.js';
export { TreeNode, type NodeContent, LINK_SUFFIX, PROPERTY_LINK_SUFFIX } from './registry/tree-node.js';
export { parseTree } from './registry/tree-text.js';
export { formatTree, PropertyLinkStyle, type FormatTreeOptions } from './registry/tree-text-writer.js';
export { PropertyLink, type PropertyLinkParts } from './registry/property-link.js';
export { PythonFloat, type PropertyValue, type PropertyDict } from './registry/property-value.js';
export { parsePythonLiteral } from './registry/python-literal.js';
export { formatPythonRepr, formatPythonStr, DictOrder, type PythonReprOptions } from './registry/python-repr.js';
export {
  decodeNodeData,
  encodeNodeData,
  treeNodeFromData,
  NodeDataFormat,
  type DecodedNodeData,
  STRING_VALUE,
} from './registry/node-data.js';
export { resolveLinkTarget, normalizeLinkPath } from './registry/link-path.js';

// Pickle codec (protocols 2/3 as ZEO and ZODB use them)
export { PickleDecoder, decodePickle, decodePickleAt, decodeRecord } from './pickle/decode.js';
export type { DecodedAt, DecodedRecord } from './pickle/decode.js';
export type { DecodeOptions, DictMode, IntegralFloatMode, Py2StringMode } from './pickle/decode-options.js';
export { PickleEncoder, encodePickle, encodeRecord } from './pickle/encode.js';
export type { EncodeOptions } from './pickle/encode-options.js';
export { PickleError, PICKLE_ERROR_CODES } from './pickle/errors.js';
export type { PickleErrorCode } from './pickle/errors.js';
export {
  Tuple,
  tuple,
  EMPTY_TUPLE,
  PyFloat,
  PyGlobal,
  PyObject,
  pickleReduce,
  pickleCall,
  pickleNew,
  pickleSetState,
} from './pickle/values.js';
export type {
  PickleValue,
  PickleReduction,
  ReductionKind,
  PickleReducible,
  PickleClass,
  PickleStateful,
} from './pickle/values.js';

// ZEO storage server
export { StorageServer } from './server/storage-server.js';
export type { StorageServerOptions, StorageServerEvents, ConnectionInfo } from './server/storage-server.js';
export { startZeoServer, closeOnSignal } from './server/run-server.js';
export type { ZeoServerRunOptions, RunningZeoServer, ProcessHooks } from './server/run-server.js';
export { openStorages } from './server/open-storages.js';
export type { OpenStoragesOptions } from './server/open-storages.js';
export { listenOn, formatBoundAddress } from './server/listen.js';
export type { ListenAddress, BoundAddress } from './server/listen.js';
export { ruokJson, statusToWire, storageStatus, formatCtime } from './server/status.js';
export type { StorageStatus, StatusSource } from './server/status.js';
export { StorageStats } from './server/server-stats.js';
export { InvalidationQueue } from './server/invalidation-queue.js';
export type { InvalidationsSince } from './server/invalidation-queue.js';
export {
  ZeoServerError,
  UnsupportedStorageError,
  ListenError,
  ServerClosedError,
  ServerUsageError,
  SERVER_ERROR_CODES,
} from './server/errors.js';
export type { ServerErrorCode } from './server/errors.js';

// ZEO client
export { ClientStorage } from './zeo/client/client-storage.js';
export type { ClientStorageEvents, ClientConnectedEvent } from './zeo/client/client-storage-events.js';
export { CLIENT_ENCODINGS, DEFAULT_CACHE_SIZE } from './zeo/client/options.js';
export type { ClientStorageOptions, ClientEncoding } from './zeo/client/options.js';
export type { ClientPackOptions } from './zeo/client/pack-request.js';
export type {
  ServerDisconnectedEvent,
  ConnectionAttemptFailedEvent,
  RetryScheduledEvent,
} from './zeo/client/connection-manager.js';
export { VERIFICATION_OUTCOMES } from './zeo/client/cache-verification.js';
export type { VerificationOutcome } from './zeo/client/cache-verification.js';
export { REVISION_OVERHEAD_BYTES } from './zeo/client/client-cache.js';
export type { ClientCacheStats } from './zeo/client/client-cache.js';
export { exponentialBackoff } from './zeo/client/reconnect-policy.js';
export type { ReconnectPolicy } from './zeo/client/reconnect-policy.js';
export { parseZeoAddress } from './zeo/client/server-address.js';
export type { ZeoAddressInput, ZeoServerAddress, ZeoTcpAddress, ZeoUnixAddress } from './zeo/client/server-address.js';
export {
  ZEO_CLIENT_ERROR_CODES,
  WaitTimeoutError,
  ClientStorageClosedError,
  CacheNewerThanServerError,
  UnsupportedOperationError,
} from './zeo/client/errors.js';
export type { ZeoClientErrorCode } from './zeo/client/errors.js';

// Object layer: DB, connections, persistent objects, transactions
export { DB } from './db/db.js';
export type { DBOptions, OpenOptions, PoolStats, RetryOptions, TransactionOptions } from './db/db.js';
export { Connection } from './db/connection.js';
export type { LoadGraphOptions } from './db/connection.js';
export type { CacheStats } from './db/object-cache.js';
export { Persistent, PersistentState, isPersistent } from './db/persistent.js';
export type { PersistentClass } from './db/persistent.js';
export { PersistentMapping } from './db/persistent-mapping.js';
export { PersistentList } from './db/persistent-list.js';
export { GenericPersistent } from './db/generic-persistent.js';
export { ClassRegistry, defaultClassRegistry, registerClass } from './db/class-registry.js';
export { PersistentWeakRef, CrossDatabaseReference } from './db/references.js';
export { PyDateTime, PyDate, PyDecimal, PyFrozenSet, utcTimezone } from './db/python-values.js';
export { TransactionMetadata } from './db/transaction.js';
export type { TransactionMetadataInit } from './db/transaction.js';
export {
  DbError,
  ConnectionStateError,
  GhostAccessError,
  PoolTimeoutError,
  UnregisteredClassError,
  InvalidObjectReferenceError,
  InvalidRecordError,
  isRetryableError,
} from './db/errors.js';

// zkzeo proper: clients whose servers come from ZooKeeper (zc.zkzeo's client(), DB(), connection())
export * as zkzeo from './zkzeo/index.js';
