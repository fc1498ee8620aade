import { silentLogger, type Logger } from '../logger.js';
import type { ChildrenView } from '../registry/children-view.js';
import { parseServerAddress, type HostPort } from '../registry/server-address.js';

/** A server address taken from a registry child name. */
export interface RegisteredAddress extends HostPort {
  /** The child name it came from (`host:port`). */
  readonly name: string;
}

/** Options for {@link AddressTracker}. */
export interface AddressTrackerOptions {
  /** Where zc.zkzeo's messages go (its logger is `zc.zkzeo`). @defaultValue silent */
  readonly logger?: Logger;
  /** How the ZooKeeper and path are shown in messages: `<{zookeeper}{path}>`. */
  readonly label: string;
}

/** How often the "No addresses" warning repeats while waiting at start-up. */
export const NO_ADDRESSES_REPEAT_MS = 5 * 60 * 1000;

/**
 * Turns the children of a registry path into server addresses and follows
 * them, logging what zc.zkzeo logs, in its exact words:
 *
 * - `WARNING No addresses from <zk/path>` when the list becomes empty;
 * - `WARNING OK: Addresses from <zk/path>` when addresses come back after that;
 * - `INFO Addresses from <zk/path>: ['host:port', …]` (sorted) on every change.
 *
 * Names that are not `host:port` are skipped with a warning (zc.zkzeo would
 * fail on them). `onChange` is called with every new list, empty ones too,
 * but not when the path itself is deleted: then the last list is kept.
 */
export class AddressTracker {
  readonly #view: ChildrenView;
  readonly #logger: Logger;
  readonly #label: string;
  readonly #onChange: (addresses: readonly RegisteredAddress[]) => void;
  #addresses: readonly RegisteredAddress[] = [];
  #warned = false;
  #unsubscribe: (() => void) | undefined;

  /**
   * @param view - the live children of the registry path
   * @param onChange - called with each new address list
   * @param options - logger and the `<zk/path>` label
   */
  constructor(
    view: ChildrenView,
    onChange: (addresses: readonly RegisteredAddress[]) => void,
    options: AddressTrackerOptions,
  ) {
    this.#view = view;
    this.#onChange = onChange;
    this.#logger = options.logger ?? silentLogger;
    this.#label = options.label;
  }

  /** The current addresses. */
  get addresses(): readonly RegisteredAddress[] {
    return this.#addresses;
  }

  /** The live children view the addresses come from (zc.zkzeo's `zookeeper_addresses`). */
  get view(): ChildrenView {
    return this.#view;
  }

  /**
   * Waits until the path has at least one server (zc.zkzeo's
   * `_wait_addresses`): warns `No addresses from <…>` at once and then
   * every five minutes while waiting, and `OK: Got addresses from <…>`
   * when they come. Without `wait` it returns the current list at once.
   */
  async waitForAddresses(wait: boolean, signal?: AbortSignal): Promise<readonly RegisteredAddress[]> {
    await this.#view.ready;
    const current = parseNames(this.#view.children, this.#logger);
    if (current.length > 0 || !wait) return current;
    const warn = (): void => this.#logger.warn(`No addresses from ${this.#label}`);
    warn();
    const repeat = setInterval(warn, NO_ADDRESSES_REPEAT_MS);
    repeat.unref();
    try {
      const found = await new Promise<readonly RegisteredAddress[]>((resolve, reject) => {
        const unsubscribe = this.#view.subscribe((children) => {
          const addresses = parseNames(children, this.#logger);
          if (addresses.length === 0) return undefined;
          resolve(addresses);
          return false;
        });
        signal?.addEventListener(
          'abort',
          () => {
            unsubscribe();
            reject(signal.reason);
          },
          { once: true },
        );
      });
      this.#logger.warn(`OK: Got addresses from ${this.#label}`);
      return found;
    } finally {
      clearInterval(repeat);
    }
  }

  /** Starts following changes: the callback runs at once with the current list, then on every change. */
  start(): void {
    if (this.#unsubscribe !== undefined) return;
    this.#unsubscribe = this.#view.subscribe((children, change) => {
      if (change.deleted) {
        // zc.zkzeo ignores the deletion of the path itself and keeps its
        // last list: losing the registry must not take the database away.
        this.#logger.warn(`${this.#label} no longer resolves; keeping the last addresses`);
        return;
      }
      this.#update(children);
    });
  }

  /** Stops following (the view itself is closed by its owner). */
  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #update(children: readonly string[]): void {
    const addresses = parseNames(children, this.#logger);
    if (addresses.length > 0) {
      if (this.#warned) {
        this.#logger.warn(`OK: Addresses from ${this.#label}`);
        this.#warned = false;
      }
      const names = addresses.map((address) => `'${address.name}'`).join(', ');
      this.#logger.info(`Addresses from ${this.#label}: [${names}]`);
    } else {
      this.#logger.warn(`No addresses from ${this.#label}`);
      this.#warned = true;
    }
    this.#addresses = addresses;
    this.#onChange(addresses);
  }
}

/** Reads `host:port` child names (sorted by name); others are skipped with a warning. */
export function parseNames(names: readonly string[], logger: Logger = silentLogger): RegisteredAddress[] {
  const addresses: RegisteredAddress[] = [];
  for (const name of [...names].sort()) {
    try {
      addresses.push({ ...parseServerAddress(name), name });
    } catch {
      logger.warn(`ignoring registry entry ${JSON.stringify(name)}: not host:port`);
    }
  }
  return addresses;
}
