import type { ZkClient } from './client.js';
import { NoNodeError, ServerError } from './errors.js';
import { validatePath } from './paths.js';
import { RearmingWatch, STOP, type WatchCallbackResult, type WatchOptions } from './rearming-watch.js';
import { ZkState } from './states.js';
import { WatchEventType, type WatchEvent } from './types.js';

/**
 * Called with a node's children (names), first at once and then after every
 * change; `event` is the notification that led to the call, if any. Return
 * `false` to stop watching.
 */
export type ChildrenWatchCallback = (children: string[], event?: WatchEvent) => WatchCallbackResult;

/** Options of a {@link ChildrenWatch}. */
export interface ChildrenWatchOptions extends WatchOptions {
  /**
   * Follow the children with one persistent recursive watch (ZooKeeper
   * 3.6+; see {@link ZkClient.addWatch}) instead of a one-shot watch armed
   * again after every change. Each event names the child, so a change is
   * called back without a round trip to the server: what a client that
   * must react fast (a ZEO client following its servers) wants. The server
   * sends every change below the node, so keep it for small subtrees, and
   * keep no other watch on the same node in the same session (ZooKeeper
   * before 3.9 mixes them up). Servers older than 3.6 get one-shot watches.
   * @defaultValue `false`
   */
  readonly persistent?: boolean;
}

/** ZooKeeper's UNIMPLEMENTED: the server predates the request (addWatch before 3.6). */
const UNIMPLEMENTED = -6;

function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string> | undefined): boolean {
  if (b === undefined || a.size !== b.size) return false;
  for (const name of a) if (!b.has(name)) return false;
  return true;
}

/**
 * Watches a node's children, like kazoo's `ChildrenWatch`: the callback
 * runs immediately with the current children and again after every change,
 * across disconnects and across session expiry (re-armed on the new
 * session, with one call carrying the current children so nothing is
 * missed), never twice for the same set of children. It stops when the
 * callback returns `false`, on {@link cancel}, or when the node is deleted.
 *
 * @example
 * ```ts
 * const watch = new ChildrenWatch(zk, '/services/db', (children) => {
 *   console.log('servers now', children);
 * });
 * await watch.ready;
 * ```
 */
export class ChildrenWatch extends RearmingWatch<string[]> {
  readonly #callback: ChildrenWatchCallback;
  readonly #client: ZkClient;
  #persistent: boolean;
  // Persistent mode: the children as the watch's events leave them;
  // undefined until read on the current connection.
  #names: Set<string> | undefined;
  // The last children known, kept across connections.
  #known: ReadonlySet<string> | undefined;
  // Persistent mode: a number per distinct set of children, so telling two
  // lists apart costs nothing (sorting thousands of names per event would).
  #version = 0;
  readonly #versions = new WeakMap<string[], number>();
  #reading = false;
  #listening = false;

  /**
   * @param client - a started client
   * @param path - the node whose children to watch
   * @param callback - called with the children
   * @param options - persistent or one-shot watching; where callback errors are logged
   */
  constructor(client: ZkClient, path: string, callback: ChildrenWatchCallback, options: ChildrenWatchOptions = {}) {
    super(client, validatePath(path), options);
    this.#callback = callback;
    this.#client = client;
    this.#persistent = options.persistent === true;
    if (this.#persistent) client.on('state', this.#onState);
  }

  override cancel(): void {
    if (this.stopped) return;
    super.cancel();
    this.#client.off('state', this.#onState);
    if (this.#listening) void this.#client.removeWatch(this.path, this.#onEvent, { recursive: true });
    this.#listening = false;
  }

  /** @internal */
  protected async fetch(client: ZkClient, watcher: (event: WatchEvent) => void): Promise<string[] | typeof STOP> {
    if (!this.#persistent) return this.#read(client.getChildren(this.path, watcher));
    if (this.#names !== undefined) return this.#snapshot(this.#names);
    this.#reading = true;
    try {
      // Queued before the read, so the read sees every change the watch will not report.
      const adding = this.#listening ? undefined : client.addWatch(this.path, this.#onEvent, { recursive: true });
      this.#listening = true;
      const reading = this.#read(client.getChildren(this.path));
      reading.catch(() => undefined);
      if (adding !== undefined) {
        try {
          await adding;
        } catch (error) {
          this.#listening = false;
          if (!(error instanceof ServerError && error.zkCode === UNIMPLEMENTED)) throw error;
          this.#persistent = false;
          client.off('state', this.#onState);
          return await this.#read(client.getChildren(this.path, watcher));
        }
      }
      const children = await reading;
      if (children === STOP) return STOP;
      const names = new Set(children);
      if (!sameNames(names, this.#known)) this.#version += 1;
      this.#names = this.#known = names;
      return this.#snapshot(names);
    } finally {
      this.#reading = false;
    }
  }

  async #read(listing: Promise<string[]>): Promise<string[] | typeof STOP> {
    try {
      return await listing;
    } catch (error) {
      // kazoo stops a ChildrenWatch whose node is gone; a missing node at
      // the start is reported through `ready`.
      if (error instanceof NoNodeError && this.delivered) return STOP;
      throw error;
    }
  }

  readonly #onEvent = (event: WatchEvent): void => {
    // While a read is under way its answer includes what the events say.
    if (this.stopped || this.#reading || this.#names === undefined) return;
    if (event.path === this.path) {
      if (event.type !== WatchEventType.DELETED) return;
      this.#names = undefined; // read again: it finds the node gone
      this.refresh(event);
      return;
    }
    const slash = event.path.lastIndexOf('/');
    if (event.path.slice(0, Math.max(slash, 1)) !== this.path) return; // deeper down
    const name = event.path.slice(slash + 1);
    const names = this.#names;
    const changed =
      event.type === WatchEventType.CREATED
        ? !names.has(name) && names.add(name) !== undefined
        : event.type === WatchEventType.DELETED && names.delete(name);
    if (!changed) return;
    this.#version += 1;
    this.refresh(event);
  };

  readonly #onState = (state: ZkState): void => {
    // Changes made while disconnected are not reported: read again on reconnection.
    if (state !== ZkState.CONNECTED) this.#names = undefined;
  };

  #snapshot(names: ReadonlySet<string>): string[] {
    const children = [...names];
    this.#versions.set(children, this.#version);
    return children;
  }

  /** @internal */
  protected key(children: string[]): string {
    const version = this.#versions.get(children);
    return version !== undefined ? `v${version}` : JSON.stringify([...children].sort());
  }

  /** @internal */
  protected deliver(children: string[], event: WatchEvent | undefined): WatchCallbackResult {
    return this.#callback(children, event);
  }
}
