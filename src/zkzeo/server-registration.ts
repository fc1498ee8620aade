/**
 * Registering a running ZEO server in ZooKeeper, as `zkrunzeo` does: in
 * the background, so the server serves while ZooKeeper is unreachable
 * (zc.zk's `Can't connect to ZooKeeper at '…'` is logged as an error after
 * every failed attempt) and registers as soon as ZooKeeper answers. Once
 * registered, the node is re-created after session expiry by the registry;
 * ensemble member failures are the client's business. Withdrawn on close.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type Logger } from '../logger.js';
import type { Registration, RegistrationProperties } from '../registry/registration.js';
import type { AddressInput } from '../registry/server-address.js';
import { ZooKeeper, type RegisteringEvent } from '../registry/zookeeper.js';
import { ClientClosedError, NodeExistsError, NoNodeError, RetryFailedError, ZooKeeperError } from '../zk/errors.js';
import { ZkState } from '../zk/states.js';
import { waitUntilGone } from '../zk/wait-until-gone.js';
import { RegistrationClosedError, RegistrationPathError } from './errors.js';

/** Options for {@link ServerRegistration.begin}. */
export interface ServerRegistrationOptions {
  /** The ZooKeeper connection string. */
  readonly connection: string;
  /** The node to register under; it must exist. */
  readonly path: string;
  /** The server's address (`host:port`; an empty host registers every non-loopback IPv4 address). */
  readonly address: AddressInput;
  /** Properties besides `pid` (which the registry sets), e.g. `monitor`. */
  readonly properties?: RegistrationProperties;
  /** The ZooKeeper session timeout in milliseconds. @defaultValue `10000` */
  readonly sessionTimeoutMs?: number;
  /** How long each connection attempt waits before the failure is logged and another begins. @defaultValue `15000` */
  readonly connectTimeoutMs?: number;
  /** Called before the nodes are created (zc.zk's `RegisteringServer` event); may add properties. */
  readonly onRegistering?: (event: RegisteringEvent) => void;
  /** Where the path was configured (`file:line`), for error messages. @defaultValue the path itself */
  readonly where?: string;
  /** How long {@link ServerRegistration.close} waits for the withdrawal. @defaultValue `5000` */
  readonly withdrawTimeoutMs?: number;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

/** A server's registration in ZooKeeper, made in the background and kept until closed. */
export class ServerRegistration {
  readonly #zookeeper: ZooKeeper;
  readonly #options: ServerRegistrationOptions;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  #registration: Registration | undefined;
  #closing: Promise<void> | undefined;

  /** Resolves once the server's node exists; rejects with RegistrationPathError, or RegistrationClosedError after {@link close}. */
  readonly registered: Promise<Registration>;

  private constructor(options: ServerRegistrationOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#zookeeper = new ZooKeeper(options.connection, {
      wait: true,
      sessionTimeoutMs: options.sessionTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      logger: this.#logger,
    });
    if (options.onRegistering !== undefined) this.#zookeeper.on('registering', options.onRegistering);
    this.registered = this.#run();
    // Callers that never look at `registered` must not crash the process on a failure.
    this.registered.catch(() => undefined);
  }

  /**
   * Starts connecting and registering in the background; see
   * {@link ServerRegistration.registered}.
   * @throws ConnectionStringError at once for a malformed connection string
   */
  static begin(options: ServerRegistrationOptions): ServerRegistration {
    return new ServerRegistration(options);
  }

  /** The ZooKeeper helper the registration uses. */
  get zookeeper(): ZooKeeper {
    return this.#zookeeper;
  }

  /** The registration, once made. */
  get registration(): Registration | undefined {
    return this.#registration;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  async #run(): Promise<Registration> {
    const { path, address } = this.#options;
    try {
      await this.#zookeeper.start();
    } catch (error) {
      if (this.closed || error instanceof ClientClosedError) throw new RegistrationClosedError();
      throw error;
    }
    for (;;) {
      if (this.closed) throw new RegistrationClosedError();
      try {
        const registration = await this.#zookeeper.register(path, address, { ...this.#options.properties });
        if (this.closed) {
          await registration.withdraw().catch(() => undefined);
          throw new RegistrationClosedError();
        }
        this.#registration = registration;
        this.#logger.info(`registered ${registration.nodePaths.join(', ')}`);
        return registration;
      } catch (error) {
        if (error instanceof RegistrationClosedError) throw error;
        if (this.closed || error instanceof ClientClosedError) throw new RegistrationClosedError();
        if (error instanceof NoNodeError) {
          const where = this.#options.where ?? path;
          const failure = new RegistrationPathError(path, where, error);
          this.#logger.error(failure.message);
          throw failure;
        }
        if (error instanceof NodeExistsError && error.path !== undefined) {
          // A crashed predecessor's node lives until its session expires.
          this.#logger.warn(`${error.path} is held by another session; waiting for it to go before registering`);
          await waitUntilGone(this.#zookeeper.client, error.path, this.#stop.signal);
          continue;
        }
        if (error instanceof ZooKeeperError && (error.retryable || error instanceof RetryFailedError)) {
          this.#logger.warn({ err: error }, `registering at ${path} failed (${error.message}); trying again`);
          await this.#zookeeper.client.waitForState(ZkState.CONNECTED, 60_000, this.#stop.signal);
          await sleep(100, undefined, { signal: this.#stop.signal }).catch(() => undefined);
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * Withdraws the registration (so clients move away at once), then closes
   * the ZooKeeper session. A withdrawal that ZooKeeper does not answer in
   * time is given up: closing the session removes the nodes anyway.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#stop.abort();
    const registration = this.#registration;
    if (registration !== undefined && this.#zookeeper.client.connected) {
      this.#logger.info(`withdrawing ${registration.nodePaths.join(', ')}`);
      const timeout = new AbortController();
      await Promise.race([
        registration.withdraw().catch((error: unknown) => this.#logger.warn({ err: error }, `withdrawing failed: ${String(error)}`)),
        sleep(this.#options.withdrawTimeoutMs ?? 5000, undefined, { signal: timeout.signal }).catch(() => undefined),
      ]);
      timeout.abort();
    }
    await this.#zookeeper.close();
  }
}
