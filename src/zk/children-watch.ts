import type { ZkClient } from './client.js';
import { ConnectionLossError, NoNodeError, UnimplementedError } from './errors.js';
import { validatePath } from './paths.js';
import { RearmingWatch, STOP, type WatchCallbackResult, type WatchOptions } from './rearming-watch.js';
import { TrackedChildren } from './tracked-children.js';
import type { WatchEvent } from './types.js';

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
  /** Called once when the watch stops because its node was deleted. */
  readonly onNodeDeleted?: () => void;
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
  readonly #onNodeDeleted: (() => void) | undefined;
  // Persistent mode: the children as the events leave them; undefined once fallen back to one-shot watches.
  #tracked: TrackedChildren | undefined;
  #listening = false;
  #nodeDeleted = false;
  // Counts connection losses, so a read that straddles one is not trusted.
  #epoch = 0;

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
    this.#onNodeDeleted = options.onNodeDeleted;
    if (options.persistent === true) this.#tracked = new TrackedChildren(this.path);
  }

  override cancel(): void {
    if (this.stopped) return;
    super.cancel();
    if (this.#listening) void this.#client.removeWatch(this.path, this.#onEvent, { recursive: true });
    this.#listening = false;
    if (this.#nodeDeleted) this.#onNodeDeleted?.();
  }

  /** @internal */
  protected async fetch(client: ZkClient, watcher: (event: WatchEvent) => void): Promise<string[] | typeof STOP> {
    if (this.stopped) return STOP;
    const tracked = this.#tracked;
    if (tracked === undefined) return this.#read(client.getChildren(this.path, watcher));
    if (tracked.inSync) return tracked.snapshot();
    // The watch is restored when the client reconnects, before CONNECTED is
    // reported; a read sent before that could miss what changed in between.
    if (!client.connected) throw new ConnectionLossError(this.path);
    const epoch = this.#epoch;
    tracked.beginRead();
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
          if (!(error instanceof UnimplementedError)) throw error;
          // A server before 3.6: one-shot watches from now on.
          this.#tracked = undefined;
          return this.stopped ? STOP : await this.#read(client.getChildren(this.path, watcher));
        }
      }
      const children = await reading;
      if (children === STOP) return STOP;
      if (epoch !== this.#epoch) throw new ConnectionLossError(this.path);
      // The node was deleted while reading: read again, which finds it gone (or back).
      if (!tracked.adopt(children)) return await this.fetch(client, watcher);
      return tracked.snapshot();
    } finally {
      tracked.abandonRead();
    }
  }

  async #read(listing: Promise<string[]>): Promise<string[] | typeof STOP> {
    try {
      return await listing;
    } catch (error) {
      // kazoo stops a ChildrenWatch whose node is gone; a missing node at
      // the start is reported through `ready`.
      if (error instanceof NoNodeError && this.delivered) {
        this.#nodeDeleted = true;
        return STOP;
      }
      throw error;
    }
  }

  readonly #onEvent = (event: WatchEvent): void => {
    if (this.stopped) return;
    const effect = this.#tracked?.apply(event) ?? 'none';
    // A deletion of the node itself makes the next fetch read, and find it gone.
    if (effect !== 'none') this.refresh(event);
  };

  /** @internal */
  protected override connectionLost(): void {
    // Changes made while disconnected are not reported: read again on reconnection.
    this.#epoch += 1;
    this.#tracked?.desync();
  }

  /** @internal */
  protected key(children: string[]): string {
    return this.#tracked?.key(children) ?? JSON.stringify([...children].sort());
  }

  /** @internal */
  protected deliver(children: string[], event: WatchEvent | undefined): WatchCallbackResult {
    return this.#callback(children, event);
  }
}
