import type { ZkClient } from './client.js';
import { NoNodeError } from './errors.js';
import { validatePath } from './paths.js';
import { RearmingWatch, type WatchCallbackResult, type WatchOptions } from './rearming-watch.js';
import type { Stat, WatchEvent } from './types.js';

/**
 * Called with a node's data and metadata, first at once and then after
 * every change; both are `null` while the node does not exist. Return
 * `false` to stop watching.
 */
export type DataWatchCallback = (data: Buffer | null, stat: Stat | null, event?: WatchEvent) => WatchCallbackResult;

interface NodeState {
  readonly data: Buffer | null;
  readonly stat: Stat | null;
}

/**
 * Watches a node's data, like kazoo's `DataWatch`: the callback runs
 * immediately and again after every change, creation and deletion (with
 * `null`s while the node is missing), across disconnects and session
 * expiry, never twice for the same version of the node. It stops when the
 * callback returns `false` or on {@link cancel}.
 */
export class DataWatch extends RearmingWatch<NodeState> {
  readonly #callback: DataWatchCallback;

  /**
   * @param client - a started client
   * @param path - the node to watch (it need not exist)
   * @param callback - called with the data and metadata
   * @param options - where callback errors are logged
   */
  constructor(client: ZkClient, path: string, callback: DataWatchCallback, options: WatchOptions = {}) {
    super(client, validatePath(path), options);
    this.#callback = callback;
  }

  /** @internal */
  protected async fetch(client: ZkClient, watcher: (event: WatchEvent) => void): Promise<NodeState> {
    for (;;) {
      try {
        const { data, stat } = await client.get(this.path, watcher);
        return { data, stat };
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
      // Missing: watch for its creation. If it was created in between, read it.
      const stat = await client.exists(this.path, watcher);
      if (stat === null) return { data: null, stat: null };
    }
  }

  /** @internal */
  protected key(state: NodeState): string {
    return state.stat === null ? 'absent' : `${state.stat.czxid}:${state.stat.mzxid}`;
  }

  /** @internal */
  protected deliver(state: NodeState, event: WatchEvent | undefined): WatchCallbackResult {
    return this.#callback(state.data, state.stat, event);
  }
}
