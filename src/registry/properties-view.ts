import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { ZkClient } from '../zk/client.js';
import { DataWatch } from '../zk/data-watch.js';
import { resolveLinkTarget, normalizeLinkPath } from './link-path.js';
import {
  decodeNodeData,
  encodeNodeData,
  nodeContentFromEntries,
  nodeDataEntries,
  type DecodedNodeData,
} from './node-data.js';
import type { PropertyValue } from './property-value.js';
import { LinkLoopError } from './errors.js';
import { resolvePath } from './resolver.js';
import { LINK_SUFFIX, type NodeContent } from './tree-node.js';

/** Called with the view after every change (including changes of linked properties); return `false` to unsubscribe. */
export type PropertiesViewCallback = (properties: PropertiesView) => boolean | void;

/** Options for {@link PropertiesView}. */
export interface PropertiesViewOptions {
  /** Keep the view current with a watch; `false` reads once (the view can still be updated). @defaultValue `true` */
  readonly watch?: boolean;
  /** Where callback errors are logged. */
  readonly logger?: Logger;
}

/** A view and the views it made to follow property links, by real path; shared down the links. */
interface LinkFamily {
  readonly root: PropertiesView;
  readonly views: Map<string, PropertiesView>;
}

function emptyContent(): NodeContent {
  return { properties: new Map(), links: new Map(), propertyLinks: new Map() };
}

/**
 * A live, read-only mapping of a node's properties (zc.zk's
 * `properties()`): the JSON object in the node's data, with symbolic links
 * followed in the path and property links (`name => /path [name]`)
 * resolved to the linked node's value. {@link update} and {@link set}
 * write the node.
 */
export class PropertiesView implements Iterable<[string, PropertyValue]> {
  readonly #client: ZkClient;
  readonly #watch: boolean;
  readonly #logger: Logger;
  readonly #family: LinkFamily;
  // The views whose property links lead here: told when this one changes.
  readonly #linkers = new Set<PropertiesView>();
  readonly #callbacks = new Set<PropertiesViewCallback>();
  readonly #ready: Promise<void>;
  #content: NodeContent = emptyContent();
  // Property link name → the real path of the node it points at.
  #linkTargets: ReadonlyMap<string, string> = new Map();
  // The targets of a load in progress, which a sweep meanwhile keeps.
  #loadingTargets: ReadonlyMap<string, string> = new Map();
  #realPath: string | undefined;
  #isReady = false;
  // In its first load: a view it links to that links back must not wait for it.
  #loadingFirst = false;
  #closed = false;
  #watcher: DataWatch | undefined;
  #loading: Promise<void> = Promise.resolve();
  readonly #onClose: (() => void) | undefined;

  /** The path as given (normalized). */
  readonly path: string;

  /** @internal */
  constructor(
    client: ZkClient,
    path: string,
    options: PropertiesViewOptions = {},
    family?: LinkFamily,
    onClose?: () => void,
  ) {
    this.#client = client;
    this.#onClose = onClose;
    this.path = normalizeLinkPath(path);
    this.#watch = options.watch ?? true;
    this.#logger = options.logger ?? silentLogger;
    this.#family = family ?? { root: this, views: new Map() };
    this.#ready = this.#start();
    this.#ready.catch(() => undefined);
  }

  /** Resolves once the properties (and those they link to) are loaded; rejects when the path does not resolve. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The node's path after following links. */
  get realPath(): string | undefined {
    return this.#realPath;
  }

  /** Number of entries (properties, links and property links). */
  get size(): number {
    return this.#content.properties.size + this.#content.links.size + this.#content.propertyLinks.size;
  }

  /** The entry names: properties and property links by name, links as `name ->` (as zc.zk lists them). */
  keys(): string[] {
    return [
      ...this.#content.properties.keys(),
      ...[...this.#content.links.keys()].map((name) => name + LINK_SUFFIX),
      ...this.#content.propertyLinks.keys(),
    ];
  }

  /** Whether `key` is a property, a property link, or (as `name ->`) a link. */
  has(key: string): boolean {
    return (
      this.#content.properties.has(key) ||
      this.#content.propertyLinks.has(key) ||
      (key.endsWith(LINK_SUFFIX) && this.#content.links.has(key.slice(0, -LINK_SUFFIX.length)))
    );
  }

  /**
   * A property's value; a property link is followed to the linked node's
   * property. Undefined when there is no such entry.
   *
   * @throws LinkLoopError when property links form a cycle
   * @throws BadPropertyLinkError when a property link value is malformed
   */
  get(key: string): PropertyValue | undefined {
    // As zc.zk: the nodes followed so far, so a link to another property of this node works.
    return this.#lookup(key, new Set());
  }

  /** `[name, value]` pairs, with property links resolved. */
  *[Symbol.iterator](): Iterator<[string, PropertyValue]> {
    for (const key of this.keys()) {
      const value = this.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** The node's data as zc.zk stores it: properties plus `"name ->"` and `"name =>"` entries. */
  toJSON(): Record<string, PropertyValue> {
    return Object.fromEntries(nodeDataEntries(this.#content));
  }

  /**
   * Calls `callback` with the view at once (once ready) and after every
   * change. Returns a function that unsubscribes.
   *
   * @throws InvalidArgumentError for a view made with `watch: false`
   */
  subscribe(callback: PropertiesViewCallback): () => void {
    if (!this.#watch) throw new InvalidArgumentError("can't subscribe to properties read with watch: false");
    this.#callbacks.add(callback);
    void this.#ready.then(
      () => this.#callbacks.has(callback) && this.#call(callback),
      () => undefined,
    );
    return () => this.#callbacks.delete(callback);
  }

  /** Merges `data` into the node's entries and writes the node. */
  async update(data: Readonly<Record<string, PropertyValue>>): Promise<void> {
    await this.#ready;
    const entries = nodeDataEntries(this.#content);
    for (const [key, value] of Object.entries(data)) entries.set(key, value);
    await this.#write(entries);
  }

  /** Replaces all of the node's entries with `data` and writes the node. */
  async set(data: Readonly<Record<string, PropertyValue>>): Promise<void> {
    await this.#ready;
    await this.#write(new Map(Object.entries(data)));
  }

  /** Stops watching (this view and the linked views it made). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.cancel();
    this.#callbacks.clear();
    this.#linkers.clear();
    const { root, views } = this.#family;
    for (const targets of [this.#linkTargets, this.#loadingTargets]) {
      for (const target of targets.values()) {
        const view = views.get(target);
        if (view !== undefined) view.#linkers.delete(this);
      }
    }
    if (root === this) {
      for (const view of views.values()) view.close();
      views.clear();
    }
    this.#onClose?.();
  }

  async #start(): Promise<void> {
    const realPath = await resolvePath(this.#client, this.path);
    // Closed meanwhile: watch nothing.
    if (this.#closed) return;
    this.#realPath = realPath;
    this.#family.views.set(realPath, this);
    if (!this.#watch) {
      const { data } = await this.#client.get(realPath);
      await this.#firstLoad(data);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.#watcher = new DataWatch(
        this.#client,
        realPath,
        (data) => {
          // Serialized so a slow link resolution cannot publish stale data.
          this.#loading = this.#loading.then(() => this.#onData(data, resolve));
        },
        { logger: this.#logger },
      );
      this.#watcher.ready.catch(reject);
    });
  }

  async #onData(data: Buffer | null, resolve: () => void): Promise<void> {
    if (this.#closed) return;
    if (!this.#isReady) {
      await this.#firstLoad(data);
      resolve();
      return;
    }
    if (data === null) {
      // Deleted: zc.zk empties the mapping and tells its callbacks.
      this.#content = emptyContent();
    } else {
      await this.#load(data);
    }
    this.#notify();
  }

  async #firstLoad(data: Buffer | null): Promise<void> {
    this.#loadingFirst = true;
    try {
      if (data !== null) await this.#load(data);
    } finally {
      this.#loadingFirst = false;
    }
    this.#isReady = true;
    // Views that did not wait for this one (a link cycle) see its values now.
    for (const linker of [...this.#linkers]) if (linker !== this) linker.#notify();
  }

  /** Decodes `data` and makes sure every property link it holds is followed and watched. */
  async #load(data: Buffer): Promise<void> {
    const decoded: DecodedNodeData = decodeNodeData(data);
    if (decoded.error !== undefined) {
      this.#logger.error({ err: decoded.error, path: this.path }, `bad json data in node at '${this.path}'`);
    }
    const linkTargets = new Map<string, string>();
    this.#loadingTargets = linkTargets;
    for (const [name, link] of decoded.propertyLinks) {
      if (decoded.properties.has(name)) continue;
      try {
        const { path } = link.parts;
        const target = await resolvePath(this.#client, resolveLinkTarget(this.path, path));
        if (this.#closed) return;
        linkTargets.set(name, target);
        try {
          await this.#linkedView(target);
        } catch (error) {
          linkTargets.delete(name);
          throw error;
        }
      } catch (error) {
        this.#logger.error({ err: error, path: this.path }, `Bad property link '${name} =>' ${JSON.stringify(link.target)}`);
      }
    }
    const before = new Set(this.#linkTargets.values());
    const after = new Set(linkTargets.values());
    this.#content = decoded;
    this.#linkTargets = linkTargets;
    this.#loadingTargets = new Map();
    const dropped = [...before].filter((target) => !after.has(target));
    for (const target of dropped) {
      const view = this.#family.views.get(target);
      if (view !== undefined) view.#linkers.delete(this);
    }
    if (dropped.length > 0) this.#family.root.#sweep();
  }

  async #linkedView(realPath: string): Promise<void> {
    // A closed view (or family) makes no new views, whose watches no one would end.
    if (this.#closed) return;
    const { views } = this.#family;
    let view = views.get(realPath);
    if (view === undefined) {
      view = new PropertiesView(this.#client, realPath, { watch: this.#watch, logger: this.#logger }, this.#family);
      views.set(realPath, view);
    }
    if (this.#watch) view.#linkers.add(this);
    // A view in its first load waits for its links: waiting for one back
    // would wait for ever (a cycle, or a link to itself). It tells its
    // linkers once it is ready instead.
    if (view.#loadingFirst) return;
    await view.ready;
  }

  /**
   * Closes the linked views no property link leads to any more (a link
   * was changed or removed, or never worked): each holds a watch.
   */
  #sweep(): void {
    const { root, views } = this.#family;
    const reachable = new Set<PropertiesView>();
    const visit = (view: PropertiesView): void => {
      if (reachable.has(view)) return;
      reachable.add(view);
      for (const targets of [view.#linkTargets, view.#loadingTargets]) {
        for (const path of targets.values()) {
          const next = views.get(path);
          if (next !== undefined) visit(next);
        }
      }
    };
    visit(root);
    for (const [path, view] of views) {
      if (reachable.has(view)) continue;
      views.delete(path);
      view.close();
    }
  }

  #lookup(key: string, seen: Set<string>): PropertyValue | undefined {
    const direct = this.#content.properties.get(key);
    if (direct !== undefined || this.#content.properties.has(key)) return direct;
    if (key.endsWith(LINK_SUFFIX)) return this.#content.links.get(key.slice(0, -LINK_SUFFIX.length));
    const link = this.#content.propertyLinks.get(key);
    if (link === undefined) return undefined;
    const { property } = link.parts;
    const where = this.#linkTargets.get(key);
    const view = where === undefined ? undefined : this.#family.views.get(where);
    if (where === undefined || view === undefined) return undefined;
    if (seen.has(where)) throw new LinkLoopError([...seen, where]);
    seen.add(where);
    return view.#lookup(property ?? key, seen);
  }

  async #write(entries: Map<string, PropertyValue>): Promise<void> {
    const content = nodeContentFromEntries(entries, emptyContent());
    const realPath = this.#realPath ?? this.path;
    await this.#client.set(realPath, encodeNodeData(content));
    if (!this.#watch) await this.#load(encodeNodeData(content));
  }

  /** Calls the callbacks, then tells the views linking here (once each, as links may form a cycle). */
  #notify(told = new Set<PropertiesView>()): void {
    if (told.has(this)) return;
    told.add(this);
    if (!this.#isReady) return;
    for (const callback of [...this.#callbacks]) this.#call(callback);
    for (const linker of [...this.#linkers]) if (!linker.#closed) linker.#notify(told);
  }

  #call(callback: PropertiesViewCallback): void {
    try {
      if (callback(this) === false) this.#callbacks.delete(callback);
    } catch (error) {
      this.#logger.error({ err: error, path: this.path }, 'properties callback threw');
    }
  }
}
