/**
 * A node's metadata. Zxids and the ephemeral owner (a session id) are
 * 64-bit, so they are bigints; times are milliseconds since the epoch.
 */
export interface Stat {
  /** Zxid of the change that created the node. */
  readonly czxid: bigint;
  /** Zxid of the last change to the node's data. */
  readonly mzxid: bigint;
  /** Zxid of the last change to the node's children. */
  readonly pzxid: bigint;
  /** Creation time (ms since the epoch). */
  readonly ctime: number;
  /** Last modification time (ms since the epoch). */
  readonly mtime: number;
  /** Number of changes to the data. */
  readonly version: number;
  /** Number of changes to the children. */
  readonly cversion: number;
  /** Number of changes to the ACL. */
  readonly aversion: number;
  /** Session id of an ephemeral node's owner; `0n` for persistent nodes. */
  readonly ephemeralOwner: bigint;
  /** Length of the data in bytes. */
  readonly dataLength: number;
  /** Number of children. */
  readonly numChildren: number;
}

/** Permission bits of an ACL entry. */
export const Perms = Object.freeze({
  /** Read data and list children. */
  READ: 1,
  /** Set data. */
  WRITE: 2,
  /** Create children. */
  CREATE: 4,
  /** Delete children. */
  DELETE: 8,
  /** Set the ACL. */
  ADMIN: 16,
  /** All of the above. */
  ALL: 31,
} as const);

/** One ACL entry: permission bits for an identity (`scheme`, `id`). */
export interface Acl {
  /** Bitwise OR of {@link Perms} values. */
  readonly perms: number;
  /** `world`, `digest`, `ip`, `auth`, … */
  readonly scheme: string;
  /** The identity within the scheme (`anyone` for `world`). */
  readonly id: string;
}

/** Anyone may do anything: ZooKeeper's `OPEN_ACL_UNSAFE`, the default. */
export const OPEN_ACL_UNSAFE: readonly Acl[] = Object.freeze([{ perms: Perms.ALL, scheme: 'world', id: 'anyone' }]);

/** Anyone may read: ZooKeeper's `READ_ACL_UNSAFE` (zc.zk registers with it). */
export const READ_ACL_UNSAFE: readonly Acl[] = Object.freeze([{ perms: Perms.READ, scheme: 'world', id: 'anyone' }]);

/** Options for {@link ZkClient.create}. */
export interface CreateOptions {
  /** Delete the node when the session ends. @defaultValue `false` */
  readonly ephemeral?: boolean;
  /** Append a 10-digit, monotonically increasing counter to the name. @defaultValue `false` */
  readonly sequence?: boolean;
  /** Create missing parent nodes (persistent, empty). @defaultValue `false` */
  readonly makepath?: boolean;
  /** The node's ACL. @defaultValue {@link OPEN_ACL_UNSAFE} */
  readonly acl?: readonly Acl[];
}

/** Options for {@link ZkClient.set}. */
export interface SetOptions {
  /** Only set when the node's version is this one. @defaultValue `-1` (any) */
  readonly version?: number;
}

/** Options for {@link ZkClient.delete}. */
export interface DeleteOptions {
  /** Only delete when the node's version is this one. @defaultValue `-1` (any) */
  readonly version?: number;
  /** Delete all descendants first (depth first). @defaultValue `false` */
  readonly recursive?: boolean;
}

/** What a watch was told. */
export const WatchEventType = Object.freeze({
  /** The node was created. */
  CREATED: 'created',
  /** The node was deleted. */
  DELETED: 'deleted',
  /** The node's data changed. */
  CHANGED: 'changed',
  /** A child was added or removed. */
  CHILD: 'child',
} as const);

/** One of the values of {@link WatchEventType}. */
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

/** A one-shot watch notification. */
export interface WatchEvent {
  /** What happened to the node. */
  readonly type: WatchEventType;
  /** The node's path (relative to the chroot). */
  readonly path: string;
}

/** A function called once when a one-shot watch fires. */
export type Watcher = (event: WatchEvent) => void;
