import { WatchEventType, type WatchEvent } from './types.js';

/** What an event did to {@link TrackedChildren}. */
export type ChildrenEventEffect = 'none' | 'changed' | 'deleted';

/**
 * A node's child names as a persistent recursive watch's events leave
 * them: the bookkeeping of a persistent ChildrenWatch.
 *
 * A read (`getChildren`) sets the list; events received while it is under
 * way are kept and replayed on its answer. Events from before the read
 * change nothing it does not already show, and the last event per name
 * wins, so replaying them all is right whichever side of the read they
 * fell on (a reply and a later event may arrive in one socket read).
 *
 * Lists handed out are told apart by a version that moves only when the
 * names differ from the last list handed out: comparing thousands of names
 * per event would cost more than the event.
 * @internal
 */
export class TrackedChildren {
  readonly #path: string;
  readonly #known = new Set<string>();
  // Names whose presence differs from the last list handed out.
  readonly #undelivered = new Set<string>();
  readonly #versions = new WeakMap<readonly string[], number>();
  #version = 0;
  #replay: WatchEvent[] | undefined;
  #inSync = false;

  /** @param path - the node whose children are tracked */
  constructor(path: string) {
    this.#path = path;
  }

  /** Whether the list follows the server (a read was adopted and no connection was lost since). */
  get inSync(): boolean {
    return this.#inSync;
  }

  /** The connection was lost: changes made meanwhile will not be reported, so read again. */
  desync(): void {
    this.#inSync = false;
  }

  /** A read was sent: keep the events that arrive until its answer. */
  beginRead(): void {
    this.#replay = [];
  }

  /** The read failed: its events are no use. */
  abandonRead(): void {
    this.#replay = undefined;
  }

  /**
   * Takes a read's answer and replays the events that came meanwhile.
   * @returns false when one of them was the node's own deletion (read again)
   */
  adopt(children: readonly string[]): boolean {
    const replay = this.#replay ?? [];
    this.#replay = undefined;
    const fresh = new Set(children);
    for (const name of this.#known) if (!fresh.has(name)) this.#set(name, false);
    for (const name of fresh) this.#set(name, true);
    let deleted = false;
    for (const event of replay) if (this.#applyNow(event) === 'deleted') deleted = true;
    this.#inSync = !deleted;
    return !deleted;
  }

  /** Applies a notification (kept for replay while a read is under way). */
  apply(event: WatchEvent): ChildrenEventEffect {
    if (this.#replay !== undefined) {
      this.#replay.push(event);
      return 'none';
    }
    if (!this.#inSync) return 'none';
    const effect = this.#applyNow(event);
    if (effect === 'deleted') this.#inSync = false;
    return effect;
  }

  /** The current names as a new array, remembered with its version. */
  snapshot(): string[] {
    if (this.#undelivered.size > 0) {
      this.#version += 1;
      this.#undelivered.clear();
    }
    const children = [...this.#known];
    this.#versions.set(children, this.#version);
    return children;
  }

  /** A key equal for lists with the same names, for a list from {@link snapshot}. */
  key(children: readonly string[]): string | undefined {
    const version = this.#versions.get(children);
    return version === undefined ? undefined : `v${version}`;
  }

  #applyNow(event: WatchEvent): ChildrenEventEffect {
    if (event.path === this.#path) return event.type === WatchEventType.DELETED ? 'deleted' : 'none';
    const slash = event.path.lastIndexOf('/');
    if (event.path.slice(0, Math.max(slash, 1)) !== this.#path) return 'none'; // deeper down
    const name = event.path.slice(slash + 1);
    if (event.type === WatchEventType.CREATED) return this.#set(name, true) ? 'changed' : 'none';
    if (event.type === WatchEventType.DELETED) return this.#set(name, false) ? 'changed' : 'none';
    return 'none';
  }

  /** Sets a name's presence; returns whether that changed it. */
  #set(name: string, present: boolean): boolean {
    if (this.#known.has(name) === present) return false;
    if (present) this.#known.add(name);
    else this.#known.delete(name);
    // Presence is yes or no: a second change of a name brings it back to what was handed out.
    if (!this.#undelivered.delete(name)) this.#undelivered.add(name);
    return true;
  }
}
