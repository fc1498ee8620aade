/**
 * Keeps one ZEO client connected to one of a list of servers: tries the
 * addresses in parallel, prefers a writable server, falls back to a
 * read-only one only when allowed, reconnects with bounded back-off, and
 * follows changes of the address list.
 */
import { EventEmitter } from 'eventemitter3';
import type { Logger } from '../../logger.js';
import type { Tid } from '../../storage/oid.js';
import { ClientDisconnected } from '../errors.js';
import { ClientStorageClosedError, WaitTimeoutError } from './errors.js';
import type { ClientEncoding } from './options.js';
import { clampDelay, type ReconnectPolicy } from './reconnect-policy.js';
import type { ZeoServerAddress } from './server-address.js';
import { ServerConnection, type Registration, type RegistrationMode } from './server-connection.js';

/** The states of a {@link ConnectionManager}. */
export const CONNECTION_STATES = Object.freeze({
  /** No usable connection; attempts are under way or scheduled. */
  connecting: 'connecting',
  /** A registered, verified connection is in use. */
  connected: 'connected',
  /** Closed for good. */
  closed: 'closed',
} as const);

/** One of the strings in {@link CONNECTION_STATES}. */
export type ConnectionState = (typeof CONNECTION_STATES)[keyof typeof CONNECTION_STATES];

// setTimeout fires at once (with a warning) for longer delays than this.
const MAX_TIMER_MS = 2 ** 31 - 1;

const TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = Object.freeze({
  connecting: ['connected', 'closed'],
  connected: ['connecting', 'closed'],
  closed: [],
});

/** A connection became the one in use. */
export interface ServerConnectedEvent {
  /** The server's address label. */
  readonly address: string;
  /** Whether it is registered read-only. */
  readonly readOnly: boolean;
  /** The server's last transaction at registration. */
  readonly serverTid: Tid;
}

/** The connection in use was lost or given up. */
export interface ServerDisconnectedEvent {
  /** The server's address label. */
  readonly address: string;
  /** Why. */
  readonly reason: Error;
}

/** One attempt to connect to and register with a server failed. */
export interface ConnectionAttemptFailedEvent {
  /** The address tried. */
  readonly address: string;
  /** What went wrong. */
  readonly error: Error;
}

/** A round of attempts failed (or found only a read-only server) and the next one is scheduled. */
export interface RetryScheduledEvent {
  /** 1 for the first retry after a success, then counting up. */
  readonly attempt: number;
  /** The delay before the next round, already clamped to the configured bounds. */
  readonly delayMs: number;
}

/** The state changed. */
export interface ConnectionStateChangedEvent {
  /** The state before. */
  readonly previous: ConnectionState;
  /** The state now. */
  readonly current: ConnectionState;
}

/** Events of a {@link ConnectionManager}. */
export interface ConnectionManagerEvents {
  /** A connection is ready for use (after the setup hook succeeded). */
  connected: (event: ServerConnectedEvent) => void;
  /** The connection in use is gone. */
  disconnected: (event: ServerDisconnectedEvent) => void;
  /** An attempt failed. */
  attemptFailed: (event: ConnectionAttemptFailedEvent) => void;
  /** The next round of attempts is scheduled. */
  retryScheduled: (event: RetryScheduledEvent) => void;
  /** The state changed. */
  stateChanged: (event: ConnectionStateChangedEvent) => void;
}

/** Options of a {@link ConnectionManager} (times in ms). */
export interface ConnectionManagerOptions {
  /** The servers to try. */
  readonly addresses: readonly ZeoServerAddress[];
  /** Storage name to register with. */
  readonly storage: string;
  /** Register read-only. */
  readonly readOnly: boolean;
  /** Accept read-only servers while no writable one is reachable. */
  readonly readOnlyFallback: boolean;
  /** Handshake answer. */
  readonly encoding: ClientEncoding;
  /** Time for connect plus handshake. */
  readonly connectTimeoutMs: number;
  /** Keep-alive interval. */
  readonly heartbeatIntervalMs: number;
  /** Largest frame accepted. */
  readonly maxFrameBytes: number;
  /** Lower bound of the delay between failed rounds. */
  readonly minDisconnectPollMs: number;
  /** Upper bound of the delay between failed rounds. */
  readonly maxDisconnectPollMs: number;
  /** The back-off, clamped to the bounds above. */
  readonly reconnectPolicy: ReconnectPolicy;
  /** Name used in messages. */
  readonly name: string;
  /** Where to log. */
  readonly logger: Logger;
  /**
   * Prepares a registered connection for use (cache verification, info);
   * runs for one connection at a time. A rejection fails the attempt and
   * closes the connection.
   */
  readonly setUp: (connection: ServerConnection, registration: Registration) => Promise<void>;
}

/** Thrown inside an attempt that lost the race or was cancelled; never reported. */
class AttemptCancelled extends ClientDisconnected {}

/**
 * Owns the client's server connections. At most one is *active* (in use);
 * others are attempts. Attempts run in rounds, one per address, in
 * parallel: the first to register and pass the setup hook wins (with
 * read-only fallback a writable server later replaces a read-only one).
 * After a round without a winner the next starts after the reconnect
 * policy's delay, clamped to `[min, max]DisconnectPollMs`; losing the
 * active connection starts a round at once, and so does a new address
 * list while no writable connection is in use.
 */
export class ConnectionManager extends EventEmitter<ConnectionManagerEvents> {
  readonly #options: ConnectionManagerOptions;
  #addresses: readonly ZeoServerAddress[];
  #state: ConnectionState = CONNECTION_STATES.connecting;
  #active: ServerConnection | undefined;
  readonly #attempts = new Set<ServerConnection>();
  #round = 0;
  #roundOutstanding = 0;
  #failedRounds = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #lock: Promise<void> = Promise.resolve();
  #generation = 0;
  #started = false;
  #connectedBefore = false;
  readonly #waiters = new Set<{ resolve: (c: ServerConnection) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }>();

  /** A manager that connects once {@link start} is called. */
  constructor(options: ConnectionManagerOptions) {
    super();
    this.#options = options;
    this.#addresses = options.addresses;
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The connection in use, if any. */
  get connection(): ServerConnection | undefined {
    return this.#active;
  }

  /** Counts connects and disconnects: a transaction begun in one generation cannot continue in another. */
  get generation(): number {
    return this.#generation;
  }

  /** The addresses currently tried. */
  get addresses(): readonly ZeoServerAddress[] {
    return this.#addresses;
  }

  /** Starts the first round of attempts (once). */
  start(): void {
    if (this.#started || this.#isClosed()) return;
    this.#started = true;
    this.#startRound();
  }

  /**
   * Replaces the address list. Without a connection (or with only a
   * read-only fallback connection) a new round starts at once; if the
   * server in use left the list and another is listed, its connection is
   * closed and another is sought; otherwise the list is used at the next
   * reconnection. An empty list never drops a working connection: a
   * registry that briefly shows no server (a server's ZooKeeper session
   * being replaced, a registry outage) must not take the database away.
   */
  setAddresses(addresses: readonly ZeoServerAddress[]): void {
    if (this.#isClosed()) throw new ClientStorageClosedError(this.#options.name, 'set addresses');
    const before = this.#addresses.map((a) => a.label).join('\n');
    if (before === addresses.map((a) => a.label).join('\n')) return;
    this.#addresses = addresses;
    if (!this.#started) return;
    const active = this.#active;
    if (active === undefined) {
      this.#failedRounds = 0;
      this.#startRound();
    } else if (addresses.length > 0 && !addresses.some((a) => a.label === active.address.label)) {
      this.#options.logger.info({ address: active.address.label }, `${this.#options.name}: server left the address list`);
      active.close(new ClientDisconnected(`server ${active.address.label} left the address list`));
    } else if (this.#options.readOnlyFallback && active.readOnly) {
      this.#failedRounds = 0;
      this.#startRound();
    }
  }

  /**
   * The active connection, waiting up to `timeoutMs` for one (`Infinity`:
   * no limit; delays beyond what one timer can hold are waited in steps).
   * @throws WaitTimeoutError after `timeoutMs`; ClientStorageClosedError if closed meanwhile.
   */
  waitForConnection(timeoutMs: number): Promise<ServerConnection> {
    if (this.#active !== undefined) return Promise.resolve(this.#active);
    if (this.#isClosed()) return Promise.reject(new ClientStorageClosedError(this.#options.name));
    if (!(timeoutMs > 0)) return Promise.reject(new WaitTimeoutError(0, this.#options.name));
    return new Promise<ServerConnection>((resolve, reject) => {
      const waiter: { resolve: (c: ServerConnection) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } = { resolve, reject };
      const arm = (remaining: number): void => {
        const step = Math.min(remaining, MAX_TIMER_MS);
        waiter.timer = setTimeout(() => {
          if (remaining > step) {
            arm(remaining - step);
            return;
          }
          this.#waiters.delete(waiter);
          reject(new WaitTimeoutError(timeoutMs / 1000, this.#options.name));
        }, step);
      };
      if (timeoutMs !== Infinity) arm(timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Closes every connection and stops reconnecting; idempotent. Resolves when the sockets are closed. */
  async close(): Promise<void> {
    if (this.#isClosed()) return;
    const sockets = [...this.#attempts, ...(this.#active === undefined ? [] : [this.#active])].map((c) => c.closed);
    this.#setState(CONNECTION_STATES.closed);
    clearTimeout(this.#retryTimer);
    this.#round++;
    this.#cancelAttempts('the client is closing');
    const active = this.#active;
    if (active !== undefined) active.close(new ClientStorageClosedError(this.#options.name));
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ClientStorageClosedError(this.#options.name));
    }
    this.#waiters.clear();
    await Promise.all(sockets);
  }

  // A method rather than a comparison: TypeScript would keep a narrowed #state across awaits.
  #isClosed(): boolean {
    return this.#state === CONNECTION_STATES.closed;
  }

  #setState(next: ConnectionState): void {
    const previous = this.#state;
    if (previous === next) return;
    if (!TRANSITIONS[previous].includes(next)) throw new Error(`illegal connection state change ${previous} → ${next}`);
    this.#state = next;
    this.emit('stateChanged', { previous, current: next });
  }

  #cancelAttempts(why: string): void {
    for (const attempt of this.#attempts) attempt.close(new AttemptCancelled(why));
    this.#attempts.clear();
  }

  #startRound(): void {
    if (this.#isClosed()) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const round = ++this.#round;
    this.#cancelAttempts('superseded by a new round of attempts');
    const active = this.#active;
    // While connected read-only (fallback), look only for writable servers elsewhere.
    const upgrading = active !== undefined;
    const targets = upgrading ? this.#addresses.filter((a) => a.label !== active.address.label) : this.#addresses;
    this.#roundOutstanding = targets.length;
    const mode: RegistrationMode = upgrading
      ? 'readWrite'
      : this.#options.readOnly
        ? 'readOnly'
        : this.#options.readOnlyFallback
          ? 'fallback'
          : 'readWrite';
    for (const address of targets) void this.#attempt(address, round, mode);
  }

  async #attempt(address: ZeoServerAddress, round: number, mode: RegistrationMode): Promise<void> {
    const o = this.#options;
    const connection = new ServerConnection({
      address,
      encoding: o.encoding,
      connectTimeoutMs: o.connectTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      maxFrameBytes: o.maxFrameBytes,
      logger: o.logger,
      onClose: this.#onConnectionClose,
    });
    this.#attempts.add(connection);
    // ZEO calls have no timeout, so a server that answers the handshake and
    // then nothing would hold this attempt (and, during set-up, every other
    // one) for ever: bound registration and set-up too.
    const setupTimer = setTimeout(() => {
      connection.close(new ClientDisconnected(`${address.label} did not finish connecting within ${o.connectTimeoutMs} ms`));
    }, o.connectTimeoutMs);
    try {
      await connection.ready;
      const registration = await connection.register(o.storage, mode);
      await this.#exclusively(() => this.#adopt(connection, registration, round));
      clearTimeout(setupTimer);
    } catch (error) {
      clearTimeout(setupTimer);
      const cancelled = error instanceof AttemptCancelled || round !== this.#round || this.#isClosed();
      const reason = error instanceof Error ? error : new Error(String(error));
      connection.close(reason);
      if (!cancelled) {
        o.logger.info({ address: address.label, err: reason }, `${o.name}: connection attempt to ${address.label} failed: ${reason.message}`);
        this.emit('attemptFailed', { address: address.label, error: reason });
      }
    } finally {
      this.#attempts.delete(connection);
      if (round === this.#round && --this.#roundOutstanding === 0) this.#roundFinished();
    }
  }

  /** Runs `task` after every earlier one finished: one connection is set up at a time. */
  #exclusively(task: () => Promise<void>): Promise<void> {
    const run = this.#lock.then(task);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #adopt(connection: ServerConnection, registration: Registration, round: number): Promise<void> {
    if (round !== this.#round || this.#isClosed() || connection.isClosed) {
      throw new AttemptCancelled('attempt no longer wanted');
    }
    const previous = this.#active;
    if (previous !== undefined) {
      if (!(this.#options.readOnlyFallback && previous.readOnly && !registration.readOnly)) {
        throw new AttemptCancelled('another server was chosen');
      }
      // Upgrade to a writable server: let go of the read-only one first, as ZEO does.
      this.#loseActive(previous, new ClientDisconnected(`switching from read-only ${previous.address.label} to ${connection.address.label}`));
      previous.close(new AttemptCancelled('replaced by a writable server'));
    }
    await this.#options.setUp(connection, registration);
    if (connection.isClosed) throw connection.closeReason ?? new ClientDisconnected('closed during setup');
    if (round !== this.#round || this.#isClosed()) throw new AttemptCancelled('attempt no longer wanted');
    this.#attempts.delete(connection);
    this.#active = connection;
    this.#generation++;
    this.#failedRounds = 0;
    if (!registration.readOnly || !this.#options.readOnlyFallback) {
      this.#round++; // the other attempts of this round are no longer wanted
      this.#cancelAttempts('another server was chosen');
      clearTimeout(this.#retryTimer);
    }
    this.#setState(CONNECTION_STATES.connected);
    // ZEO's words: "Reconnected" after the first connection.
    const verb = this.#connectedBefore ? 'Reconnected' : 'Connected';
    this.#connectedBefore = true;
    this.#options.logger.info({ address: connection.address.label, readOnly: registration.readOnly }, `${this.#options.name} ${verb} to storage: ${connection.address.label}`);
    this.emit('connected', { address: connection.address.label, readOnly: registration.readOnly, serverTid: registration.serverTid });
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(connection);
    }
    this.#waiters.clear();
  }

  #roundFinished(): void {
    if (this.#isClosed()) return;
    const active = this.#active;
    const wantsUpgrade = active !== undefined && this.#options.readOnlyFallback && active.readOnly;
    if (active !== undefined && !wantsUpgrade) return;
    if (this.#addresses.length === 0 || (wantsUpgrade && this.#addresses.length === 1)) return; // wait for setAddresses
    const attempt = ++this.#failedRounds;
    const o = this.#options;
    const delayMs = clampDelay(o.reconnectPolicy(attempt), o.minDisconnectPollMs, o.maxDisconnectPollMs);
    this.emit('retryScheduled', { attempt, delayMs });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#startRound();
    }, delayMs);
    this.#retryTimer.unref?.();
  }

  #loseActive(connection: ServerConnection, reason: Error): void {
    this.#active = undefined;
    this.#generation++;
    this.#setState(CONNECTION_STATES.connecting);
    this.#options.logger.info({ address: connection.address.label, err: reason }, `${this.#options.name} Disconnected from storage: ${connection.address.label}`);
    this.emit('disconnected', { address: connection.address.label, reason });
  }

  #onConnectionClose = (connection: ServerConnection, reason: Error): void => {
    if (connection !== this.#active || this.#isClosed()) return;
    this.#loseActive(connection, reason);
    this.#failedRounds = 0;
    this.#startRound();
  };
}
