import { silentLogger, type Logger } from '../logger.js';
import type { ZkClient } from './client.js';
import { ClientClosedError } from './errors.js';
import { ZkState } from './states.js';
import type { WatchEvent } from './types.js';

/** What a watch callback may return: `false` (or a promise of it) stops the watch. */
export type WatchCallbackResult = boolean | void | Promise<boolean | void>;

/** Options shared by {@link ChildrenWatch} and {@link DataWatch}. */
export interface WatchOptions {
  /** Where errors thrown by the callback are logged. @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

/**
 * Returned by a fetch when the watch has nothing more to watch.
 * @internal
 */
export const STOP = Symbol('stop');

/**
 * The machinery behind {@link ChildrenWatch} and {@link DataWatch}: fetch
 * the current state with a one-shot watch, call back when it differs from
 * the last state called back with, fetch again when the watch fires, and
 * fetch again when the client reconnects or a new session replaces a lost
 * one (ZooKeeper drops the watches of an expired session silently). Fetches
 * never overlap; events that arrive during one cause one more.
 *
 * @typeParam T - the state handed to the callback
 */
export abstract class RearmingWatch<T> {
  readonly #client: ZkClient;
  readonly #logger: Logger;
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  #stopped = false;
  #established = false;
  #running = false;
  #rerun: { event: WatchEvent | undefined } | undefined;
  #lastKey: string | undefined;
  #delivered = false;
  #retryTimer: NodeJS.Timeout | undefined;

  /** The node path watched. */
  readonly path: string;

  /** @internal */
  constructor(client: ZkClient, path: string, options: WatchOptions) {
    this.#client = client;
    this.path = path;
    this.#logger = options.logger ?? silentLogger;
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Marked handled here; callers who await `ready` still see a rejection.
    this.#ready.catch(() => undefined);
    client.on('state', this.#onState);
    // Started on the next tick so subclass fields are initialised first.
    queueMicrotask(() => this.#trigger(undefined));
  }

  /**
   * Resolves once the callback has been called with the first state;
   * rejects when that first fetch fails for good (e.g. the node is missing
   * for a {@link ChildrenWatch}, or the client is not started).
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Whether the watch has stopped (callback returned `false`, {@link cancel}, or nothing left to watch). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Whether the callback has been called at least once.
   * @internal
   */
  protected get delivered(): boolean {
    return this.#delivered;
  }

  /** Stops the watch; the callback is not called again. Idempotent. */
  cancel(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#client.off('state', this.#onState);
    this.#client.forgetWatcher(this.path, this.#watcher);
    this.#resolveReady();
  }

  /**
   * Fetches the current state, arming a one-shot watch that calls `watcher`.
   * @internal
   */
  protected abstract fetch(client: ZkClient, watcher: (event: WatchEvent) => void): Promise<T | typeof STOP>;

  /**
   * A string that is equal for equal states, so no state is called back twice.
   * @internal
   */
  protected abstract key(state: T): string;

  /**
   * Calls the user's callback.
   * @internal
   */
  protected abstract deliver(state: T, event: WatchEvent | undefined): WatchCallbackResult;

  /**
   * Fetches again (or, if a fetch is under way, once more after it) and
   * calls back if the state changed.
   * @internal
   */
  protected refresh(event?: WatchEvent): void {
    this.#trigger(event);
  }

  // One function for every fetch: node-zookeeper-client does not register
  // the same watcher function twice for a path.
  readonly #watcher = (event: WatchEvent): void => this.#trigger(event);

  /**
   * The client lost its connection (or session); watches set before may
   * not fire for what changes until it is back.
   * @internal
   */
  protected connectionLost(): void {}

  readonly #onState = (state: ZkState): void => {
    if (state !== ZkState.CONNECTED) {
      this.#established = false;
      this.connectionLost();
    } else if (!this.#established) {
      this.#trigger(undefined);
    }
  };

  #trigger(event: WatchEvent | undefined): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#rerun = { event: event ?? this.#rerun?.event };
      return;
    }
    void this.#run(event);
  }

  async #run(event: WatchEvent | undefined): Promise<void> {
    this.#running = true;
    try {
      let next: { event: WatchEvent | undefined } | undefined = { event };
      while (next !== undefined && !this.#stopped) {
        this.#rerun = undefined;
        await this.#fetchAndDeliver(next.event);
        next = this.#rerun;
      }
    } finally {
      this.#running = false;
    }
  }

  async #fetchAndDeliver(event: WatchEvent | undefined): Promise<void> {
    let state: T | typeof STOP;
    try {
      state = await this.fetch(this.#client, this.#watcher);
      this.#established = true;
    } catch (error) {
      this.#fetchFailed(error);
      return;
    }
    if (this.#stopped) {
      // Cancelled during the read, which armed the watch again.
      this.#client.forgetWatcher(this.path, this.#watcher);
      return;
    }
    if (state === STOP) {
      this.cancel();
      return;
    }
    const key = this.key(state);
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    let result: boolean | void = undefined;
    try {
      // Awaited only when it is a promise, so a plain `false` stops the
      // watch before anything else can run.
      const returned = this.deliver(state, event);
      result = returned instanceof Promise ? await returned : returned;
    } catch (error) {
      this.#logger.error({ err: error, path: this.path }, 'watch callback threw');
    }
    this.#delivered = true;
    this.#resolveReady();
    if (result === false) this.cancel();
  }

  #fetchFailed(error: unknown): void {
    // A stopped (not closed) client may be started again: wait for it, as for connection trouble.
    const waitable =
      error instanceof ClientClosedError
        ? !this.#client.closed && this.#delivered
        : typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
    if (!waitable) {
      this.#logger.error({ err: error, path: this.path }, 'watch stopped: cannot read the node');
      this.#rejectReady(error);
      this.cancel();
      return;
    }
    // Connection trouble: the next CONNECTED state fetches again. If the
    // client still looks connected (a request timed out), try again soon.
    this.#established = false;
    if (this.#client.connected) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#trigger(undefined), 500);
      this.#retryTimer.unref();
    }
  }
}
