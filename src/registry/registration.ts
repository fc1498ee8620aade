import type { Logger } from '../logger.js';
import type { ZkClient } from '../zk/client.js';
import { BadVersionError, NodeExistsError, NoNodeError } from '../zk/errors.js';
import type { Acl } from '../zk/types.js';
import { waitUntilGone } from '../zk/wait-until-gone.js';
import { encodeNodeData } from './node-data.js';
import type { PropertyValue } from './property-value.js';

const REMEMBERED_SESSIONS = 16;

/** Properties stored on a registered node (JSON-compatible values). */
export type RegistrationProperties = Record<string, PropertyValue>;

/**
 * One `register()` call: the ephemeral node(s) naming a server under a
 * service path, kept alive across session expiry until withdrawn.
 */
export class Registration {
  readonly #registrar: Registrar;
  #properties: RegistrationProperties;
  #withdrawn = false;

  /** The resolved service path the nodes are children of. */
  readonly path: string;
  /** The address as given (`":8100"` for all interfaces). */
  readonly name: string;
  /** The full paths of the ephemeral nodes (one per address). */
  readonly nodePaths: readonly string[];
  /** The ACL of the nodes. */
  readonly acl: readonly Acl[];

  /** @internal */
  constructor(
    registrar: Registrar,
    init: { path: string; name: string; nodePaths: string[]; acl: readonly Acl[]; properties: RegistrationProperties },
  ) {
    this.#registrar = registrar;
    this.path = init.path;
    this.name = init.name;
    this.nodePaths = Object.freeze([...init.nodePaths]);
    this.acl = init.acl;
    this.#properties = { ...init.properties };
  }

  /** The properties currently stored (and re-stored after expiry). */
  get properties(): Readonly<RegistrationProperties> {
    return this.#properties;
  }

  /** Whether {@link withdraw} was called. */
  get withdrawn(): boolean {
    return this.#withdrawn;
  }

  /** The node data the properties encode to. */
  get data(): Buffer {
    return encodeNodeData({ properties: new Map(Object.entries(this.#properties)), links: new Map(), propertyLinks: new Map() });
  }

  /** Merges `properties` into the stored ones and writes them to every node; remembered for re-registration. */
  async update(properties: RegistrationProperties): Promise<void> {
    await this.set({ ...this.#properties, ...properties });
  }

  /** Replaces the stored properties and writes them to every node; remembered for re-registration. */
  async set(properties: RegistrationProperties): Promise<void> {
    this.#properties = { ...properties };
    await this.#registrar.write(this);
  }

  /**
   * Deletes the nodes and forgets the registration: a re-registration that
   * is under way, or a later session, will not bring it back. Idempotent.
   */
  async withdraw(): Promise<void> {
    if (this.#withdrawn) return;
    this.#withdrawn = true;
    await this.#registrar.withdraw(this);
  }
}

/**
 * Keeps registrations alive. Ephemeral nodes die with their session, so
 * when the client opens a new session every registration is created again.
 * Better than zc.zk, which ignores `NodeExists` there: right after expiry
 * the old session's node may still exist, so its owner is checked. A node
 * left by one of our own earlier sessions is replaced at once; a node
 * owned by some other session is waited for. Re-registration runs only on
 * a new session (not on every reconnect), one run at a time, so a
 * flapping connection causes no storm.
 *
 * @internal
 */
export class Registrar {
  readonly #client: ZkClient;
  readonly #logger: Logger;
  readonly #registrations = new Set<Registration>();
  readonly #ourSessions = new Set<bigint>();
  #run: Promise<void> | undefined;
  #again = false;
  #abort = new AbortController();

  constructor(client: ZkClient, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
    if (client.sessionId !== 0n) this.#rememberSession(client.sessionId);
    client.on('session', this.#onSession);
  }

  /** The registrations kept alive: added (or being added) and not withdrawn. */
  get registrations(): ReadonlySet<Registration> {
    return this.#registrations;
  }

  /**
   * Creates the nodes of a new registration. A name held by a live foreign
   * session, or by another registration of ours, is a `NodeExists` error,
   * as in zc.zk; the nodes made before it are deleted again.
   */
  async add(registration: Registration): Promise<void> {
    this.#registrations.add(registration);
    const created: string[] = [];
    try {
      for (const nodePath of registration.nodePaths) {
        await this.#create(registration, nodePath, false);
        created.push(nodePath);
      }
    } catch (error) {
      this.#registrations.delete(registration);
      // Nothing would keep the nodes already made, nor ever delete them.
      for (const nodePath of created) await this.#deleteIfOurs(nodePath).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Writes a registration's current data to its nodes that our session
   * holds. Registered nodes are usually read-only to everyone (zc.zk's
   * READ_ACL_UNSAFE), so the node is replaced by delete and create in one
   * multi-operation: atomic, and watchers see no gap. Nodes that are not
   * ours right now get the new data at the next re-registration.
   */
  async write(registration: Registration): Promise<void> {
    if (registration.withdrawn) return;
    for (const nodePath of registration.nodePaths) {
      const stat = await this.#client.exists(nodePath);
      if (stat === null || stat.ephemeralOwner !== this.#client.sessionId) continue;
      await this.#replace(registration, nodePath, stat.version);
    }
  }

  // Delete and create in one multi-operation: set() would need a write
  // permission the node's ACL usually does not give, not even to us.
  async #replace(registration: Registration, nodePath: string, version: number): Promise<void> {
    await this.#client
      .transaction()
      .delete(nodePath, version)
      .create(nodePath, registration.data, { ephemeral: true, acl: registration.acl })
      .commit();
  }

  /** Deletes a withdrawn registration's nodes that belong to our session. */
  async withdraw(registration: Registration): Promise<void> {
    this.#registrations.delete(registration);
    for (const nodePath of registration.nodePaths) await this.#deleteIfOurs(nodePath);
  }

  // A node of an older session of ours is gone a session timeout after
  // that session ended: the last few sessions are all worth knowing.
  #rememberSession(sessionId: bigint): void {
    this.#ourSessions.add(sessionId);
    if (this.#ourSessions.size > REMEMBERED_SESSIONS) this.#ourSessions.delete(this.#ourSessions.values().next().value as bigint);
  }

  /** Stops re-registering (the client is closing). */
  close(): void {
    this.#client.off('session', this.#onSession);
    this.#abort.abort();
    this.#registrations.clear();
  }

  readonly #onSession = (sessionId: bigint): void => {
    this.#rememberSession(sessionId);
    if (this.#registrations.size === 0) return;
    // A newer session makes any run still working on the old one moot.
    this.#abort.abort();
    this.#abort = new AbortController();
    if (this.#run !== undefined) {
      this.#again = true;
      return;
    }
    this.#run = this.#reregisterAll().finally(() => {
      this.#run = undefined;
    });
  };

  async #reregisterAll(): Promise<void> {
    do {
      this.#again = false;
      const signal = this.#abort.signal;
      for (const registration of [...this.#registrations]) {
        for (const nodePath of registration.nodePaths) {
          if (signal.aborted || registration.withdrawn) break;
          try {
            this.#logger.info(`restoring ephemeral ${nodePath}`);
            await this.#create(registration, nodePath, true, signal);
          } catch (error) {
            if (!signal.aborted) this.#logger.error({ err: error, path: nodePath }, `cannot re-register ${nodePath}`);
          }
        }
      }
    } while (this.#again);
  }

  async #create(registration: Registration, nodePath: string, waitForForeign: boolean, signal?: AbortSignal): Promise<void> {
    const client = this.#client;
    for (;;) {
      if (registration.withdrawn || signal?.aborted === true) return;
      try {
        await client.retry(() => client.create(nodePath, registration.data, { ephemeral: true, acl: registration.acl }), {
          maxTries: -1,
          maxDelayMs: 1000,
          ...(signal === undefined ? { maxTries: 3 } : { signal }),
        });
        // Withdrawn while the create was in flight: take it back.
        if (registration.withdrawn) await this.#deleteIfOurs(nodePath);
        return;
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
      }
      const current = await client.get(nodePath).catch((error: unknown) => {
        if (error instanceof NoNodeError) return undefined; // gone meanwhile: create it again
        throw error;
      });
      if (current === undefined) continue;
      const { stat } = current;
      if (stat.ephemeralOwner === client.sessionId) {
        // Ours: another registration's (refused, as zc.zk refuses it), or
        // this one's from a create whose reply was lost.
        if (this.#claimedByAnother(registration, nodePath)) throw new NodeExistsError(nodePath);
        if (registration.withdrawn) await this.#deleteIfOurs(nodePath);
        else if (!current.data.equals(registration.data)) await this.#replace(registration, nodePath, stat.version);
        return;
      }
      if (this.#ourSessions.has(stat.ephemeralOwner)) {
        // Left by our own expired session; ZooKeeper will delete it soon,
        // but there is no need to wait.
        try {
          await client.delete(nodePath, { version: stat.version });
        } catch (error) {
          if (!(error instanceof NoNodeError) && !(error instanceof BadVersionError)) throw error;
        }
        continue;
      }
      if (!waitForForeign) throw new NodeExistsError(nodePath);
      this.#logger.warn(
        `${nodePath} is held by another session (0x${stat.ephemeralOwner.toString(16)}); waiting for it to go`,
      );
      await waitUntilGone(this.#client, nodePath, signal);
    }
  }

  #claimedByAnother(registration: Registration, nodePath: string): boolean {
    for (const other of this.#registrations) {
      if (other !== registration && !other.withdrawn && other.nodePaths.includes(nodePath)) return true;
    }
    return false;
  }

  async #deleteIfOurs(nodePath: string): Promise<void> {
    try {
      const stat = await this.#client.exists(nodePath);
      if (stat !== null && stat.ephemeralOwner === this.#client.sessionId) {
        await this.#client.delete(nodePath, { version: stat.version });
      }
    } catch (error) {
      if (!(error instanceof NoNodeError) && !(error instanceof BadVersionError)) throw error;
    }
  }
}
