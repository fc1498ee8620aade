import { silentLogger, type Logger } from '../logger.js';
import { ChildrenWatch } from '../zk/children-watch.js';
import type { ZkClient } from '../zk/client.js';
import { DataWatch } from '../zk/data-watch.js';
import { NoNodeError } from '../zk/errors.js';
import { ZkState } from '../zk/states.js';
import { normalizeLinkPath } from './link-path.js';
import { resolvePath } from './resolver.js';

/** What changed between two calls of a {@link ChildrenView} callback. */
export interface ChildrenChange {
  /** Names that appeared. */
  readonly added: readonly string[];
  /** Names that went away. */
  readonly removed: readonly string[];
  /** Whether the watched node is gone and its path no longer resolves (the list is then empty). */
  readonly deleted: boolean;
}

/**
 * Called with the current child names and what changed; return `false` to
 * unsubscribe.
 */
export type ChildrenViewCallback = (children: readonly string[], change: ChildrenChange) => boolean | void;

/** Options of a {@link ChildrenView}. */
export interface ChildrenViewOptions {
  /**
   * Follow the children with a persistent recursive watch (ZooKeeper 3.6+):
   * a change reaches subscribers without a round trip to the server. As
   * with {@link ChildrenWatch}'s `persistent` option, it fits small subtrees,
   * and the same session should keep no other watch on the node.
   * @defaultValue `false`
   */
  readonly persistent?: boolean;
}

const EMPTY: readonly string[] = Object.freeze([]);

/**
 * A live view of a node's child names, zc.zk's `children()`: iterable, with
 * `length`, kept current by ZooKeeper watches across disconnects and
 * session expiry. The path may go through symbolic links (`name -> path`
 * properties); when a link along the way changes, or the node is deleted,
 * the path is resolved again. When it no longer resolves the view empties,
 * subscribers are told (`deleted: true`), and the view waits for the path
 * to come back.
 *
 * @example
 * ```ts
 * const servers = registry.children('/databases/demo');
 * await servers.ready;
 * servers.subscribe((names, { added, removed }) => console.log(names, added, removed));
 * ```
 */
export class ChildrenView implements Iterable<string> {
  readonly #client: ZkClient;
  readonly #logger: Logger;
  readonly #persistent: boolean;
  readonly #callbacks = new Set<ChildrenViewCallback>();
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  #children: readonly string[] = EMPTY;
  #childSet = new Set<string>();
  #realPath: string | undefined;
  #deleted = false;
  #isReady = false;
  #closed = false;
  // Subscribed before the view was ready: called first when it becomes ready.
  readonly #unprimed = new Set<ChildrenViewCallback>();
  #generation = 0;
  #watches: { cancel(): void }[] = [];
  readonly #onClose: (() => void) | undefined;

  /** The path as given (normalized). */
  readonly path: string;

  /** @internal */
  constructor(
    client: ZkClient,
    path: string,
    logger: Logger = silentLogger,
    options: ChildrenViewOptions = {},
    onClose?: () => void,
  ) {
    this.#client = client;
    this.#onClose = onClose;
    this.#logger = logger;
    this.#persistent = options.persistent === true;
    this.path = normalizeLinkPath(path);
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => undefined);
    void this.#attach(true);
  }

  /**
   * Resolves once the view holds the server's children; rejects (like
   * zc.zk) when the path does not resolve at first.
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The path the view watches after following links (undefined while it does not resolve). */
  get realPath(): string | undefined {
    return this.#realPath;
  }

  /** The current child names. */
  get children(): readonly string[] {
    return this.#children;
  }

  /** Number of children. */
  get length(): number {
    return this.#children.length;
  }

  /** Whether the node is gone and the path does not resolve. */
  get deleted(): boolean {
    return this.#deleted;
  }

  /** Iterates over the current child names. */
  [Symbol.iterator](): Iterator<string> {
    return this.#children[Symbol.iterator]();
  }

  /**
   * Calls `callback` at once with the current children (once the view is
   * ready) and again after every net change; never twice for the same list.
   * Returns a function that unsubscribes.
   */
  subscribe(callback: ChildrenViewCallback): () => void {
    this.#callbacks.add(callback);
    if (this.#isReady) this.#call(callback, this.#children, { added: this.#children, removed: EMPTY, deleted: this.#deleted });
    else this.#unprimed.add(callback);
    return () => {
      this.#callbacks.delete(callback);
      this.#unprimed.delete(callback);
    };
  }

  /** Stops watching; the view keeps its last list. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#generation += 1;
    this.#cancelWatches();
    this.#callbacks.clear();
    this.#unprimed.clear();
    this.#onClose?.();
  }

  /** Resolves the path and watches the result and every link on the way. */
  async #attach(first: boolean): Promise<void> {
    if (this.#closed) return;
    const generation = ++this.#generation;
    this.#cancelWatches();
    const linkNodes: string[] = [];
    let realPath: string;
    try {
      realPath = await resolvePath(this.#client, this.path, (base) => linkNodes.push(base));
    } catch (error) {
      if (generation !== this.#generation) return;
      if (first) {
        this.close();
        this.#rejectReady(error);
        return;
      }
      if (!(error instanceof NoNodeError)) {
        // Connection trouble is not a deletion: keep the children and try again.
        this.#logger.warn({ err: error, path: this.path }, `cannot resolve ${this.path} now; will try again`);
        this.#retryLater(generation);
        return;
      }
      this.#realPath = undefined;
      this.#update(EMPTY, true);
      // Wait for the path (or a link to it) to come back.
      await this.#watchNodes([this.path, ...linkNodes], generation);
      return;
    }
    if (generation !== this.#generation) return;
    this.#realPath = realPath;
    // Persistent: the watch itself reports the node's deletion, and a
    // one-shot watch on the same node would spoil it (ZOOKEEPER-4466). A
    // link on the node itself needs a data watch there: one-shot then.
    const persistent = this.#persistent && !linkNodes.includes(realPath);
    const watch = new ChildrenWatch(
      this.#client,
      realPath,
      (children) => {
        if (generation !== this.#generation) return false;
        this.#update(children, false);
        if (!this.#isReady) this.#becomeReady();
        return undefined;
      },
      {
        logger: this.#logger,
        persistent,
        onNodeDeleted: () => {
          if (persistent && generation === this.#generation) void this.#attach(false);
        },
      },
    );
    this.#watches.push(watch);
    watch.ready.catch(() => {
      // Deleted between resolving and watching: resolve again.
      if (generation === this.#generation) void this.#attach(first);
    });
    // The node's deletion and any change of a link on the way re-resolve.
    await this.#watchNodes(persistent ? linkNodes : [realPath, ...linkNodes], generation);
  }

  #retryLater(generation: number): void {
    const again = (): void => {
      if (generation === this.#generation) void this.#attach(false);
    };
    if (this.#client.connected) {
      setTimeout(again, 500).unref();
      return;
    }
    const onState = (state: ZkState): void => {
      if (state !== ZkState.CONNECTED) return;
      this.#client.off('state', onState);
      again();
    };
    this.#client.on('state', onState);
    // Dropped with the other watches when the view re-attaches or closes.
    this.#watches.push({ cancel: () => this.#client.off('state', onState) });
  }

  /**
   * Watches the nodes a resolution depended on; any change re-resolves.
   * A change made between resolving and the watches taking hold would be
   * missed, so once they hold the path is resolved once more and compared.
   */
  async #watchNodes(paths: readonly string[], generation: number): Promise<void> {
    const watches = [...new Set(paths)].map((path) => {
      let initial = true;
      return new DataWatch(this.#client, path, () => {
        if (initial) {
          initial = false;
          return undefined;
        }
        if (generation === this.#generation) void this.#attach(false);
        return false;
      });
    });
    this.#watches.push(...watches);
    await Promise.all(watches.map((watch) => watch.ready.catch(() => undefined)));
    const now = await resolvePath(this.#client, this.path).catch(() => undefined);
    if (generation === this.#generation && now !== this.#realPath) void this.#attach(false);
  }

  #cancelWatches(): void {
    for (const watch of this.#watches) watch.cancel();
    this.#watches = [];
  }

  #becomeReady(): void {
    this.#isReady = true;
    for (const callback of this.#unprimed) {
      this.#call(callback, this.#children, { added: this.#children, removed: EMPTY, deleted: this.#deleted });
    }
    this.#unprimed.clear();
    this.#resolveReady();
  }

  /** Takes `children` over (the watch hands a fresh array to each call). */
  #update(children: readonly string[], deleted: boolean): void {
    // One pass over the new list finds what was added; only when something
    // went away is the new list hashed too. A view of thousands of children
    // changes one child at a time.
    const before = this.#childSet;
    const added: string[] = [];
    for (const name of children) if (!before.has(name)) added.push(name);
    const kept = children.length - added.length;
    let after = before;
    let removed: readonly string[] = EMPTY;
    if (kept !== before.size) {
      after = new Set(children);
      removed = this.#children.filter((name) => !after.has(name));
    }
    const deletedChanged = deleted !== this.#deleted;
    this.#deleted = deleted;
    if (added.length === 0 && removed.length === 0 && !deletedChanged) return;
    if (after === before) for (const name of added) before.add(name);
    this.#childSet = after;
    this.#children = Object.freeze(children);
    if (!this.#isReady) return;
    const change: ChildrenChange = { added, removed, deleted };
    for (const callback of [...this.#callbacks]) {
      if (!this.#unprimed.has(callback)) this.#call(callback, this.#children, change);
    }
  }

  #call(callback: ChildrenViewCallback, children: readonly string[], change: ChildrenChange): void {
    try {
      if (callback(children, change) === false) this.#callbacks.delete(callback);
    } catch (error) {
      this.#logger.error({ err: error, path: this.path }, 'children callback threw');
    }
  }
}
