import type { ZkClient } from './client.js';
import { NoNodeError } from './errors.js';
import { validatePath } from './paths.js';
import { RearmingWatch, STOP, type WatchCallbackResult, type WatchOptions } from './rearming-watch.js';
import type { WatchEvent } from './types.js';

/**
 * Called with a node's children (names), first at once and then after every
 * change; `event` is the notification that led to the call, if any. Return
 * `false` to stop watching.
 */
export type ChildrenWatchCallback = (children: string[], event?: WatchEvent) => WatchCallbackResult;

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

  /**
   * @param client - a started client
   * @param path - the node whose children to watch
   * @param callback - called with the children
   * @param options - where callback errors are logged
   */
  constructor(client: ZkClient, path: string, callback: ChildrenWatchCallback, options: WatchOptions = {}) {
    super(client, validatePath(path), options);
    this.#callback = callback;
  }

  /** @internal */
  protected async fetch(client: ZkClient, watcher: (event: WatchEvent) => void): Promise<string[] | typeof STOP> {
    try {
      return await client.getChildren(this.path, watcher);
    } catch (error) {
      // kazoo stops a ChildrenWatch whose node is gone; a missing node at
      // the start is reported through `ready`.
      if (error instanceof NoNodeError && this.delivered) return STOP;
      throw error;
    }
  }

  /** @internal */
  protected key(children: string[]): string {
    return JSON.stringify([...children].sort());
  }

  /** @internal */
  protected deliver(children: string[], event: WatchEvent | undefined): WatchCallbackResult {
    return this.#callback(children, event);
  }
}
