/**
 * The events a ClientStorage emits, for the object layer and for
 * monitoring.
 */
import type { Tid } from '../../storage/oid.js';
import type { Invalidation, StorageEvents } from '../../storage/storage.js';
import type { VerificationOutcome } from './cache-verification.js';
import type { ConnectionAttemptFailedEvent, RetryScheduledEvent, ServerDisconnectedEvent } from './connection-manager.js';

/** The client is connected to a server and verified its cache against it. */
export interface ClientConnectedEvent {
  /** The server's address label. */
  readonly address: string;
  /** Whether the connection is read-only (with `readOnlyFallback`, a read-only server was accepted). */
  readonly readOnly: boolean;
  /** The server's last transaction when the client registered. */
  readonly serverTid: Tid;
  /** What cache verification found. */
  readonly verification: VerificationOutcome;
  /**
   * Whether the cache was dropped. Either way the object layer should
   * invalidate its object caches, as ZODB does on every (re)connection.
   */
  readonly cacheCleared: boolean;
}

/**
 * Events of a ClientStorage. `invalidation` (from the storage interface)
 * reports every transaction the client learns of: its own commits (inside
 * `tpcFinish`) and, like `invalidations`, those the server reports. Listen
 * to `invalidation` for everything or to `invalidations` for other
 * clients' changes only, not to both.
 */
export interface ClientStorageEvents extends StorageEvents {
  /** Connected (or reconnected) and verified; calls go to this server now. */
  connected: (event: ClientConnectedEvent) => void;
  /** The connection in use was lost; transactions in progress can no longer commit. */
  disconnected: (event: ServerDisconnectedEvent) => void;
  /**
   * Transactions committed by other clients (or, after a reconnection,
   * everything the server reported changed while the client was away)
   * modified `oids`; emitted before {@link ClientStorage.lastTransaction}
   * moves to `tid`.
   */
  invalidations: (invalidation: Invalidation) => void;
  /** An attempt to connect to or register with one server failed (the client keeps trying). */
  connectionAttemptFailed: (event: ConnectionAttemptFailedEvent) => void;
  /** A round of connection attempts failed; the next one starts after `delayMs`. */
  retryScheduled: (event: RetryScheduledEvent) => void;
}
