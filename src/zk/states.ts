/**
 * A client's connection state, with kazoo's meaning:
 *
 * - `CONNECTED`: connected to a server; the session is alive.
 * - `SUSPENDED`: the connection is lost but the session may still be
 *   alive; ephemeral nodes may still exist. Requests wait or fail with
 *   connection loss.
 * - `LOST`: the session is gone (expired, declared lost after its timeout
 *   passed while suspended, or the client was stopped); its ephemeral nodes
 *   and watches are gone. Unless stopped, the client is already opening a
 *   new session and will report `CONNECTED` again.
 */
export const ZkState = Object.freeze({
  /** Connected; the session is alive. */
  CONNECTED: 'CONNECTED',
  /** Disconnected; the session may still be alive. */
  SUSPENDED: 'SUSPENDED',
  /** No session (expired, declared lost, or stopped). */
  LOST: 'LOST',
} as const);

/** One of the values of {@link ZkState}. */
export type ZkState = (typeof ZkState)[keyof typeof ZkState];

/** The events a {@link ZkClient} emits. */
export interface ZkClientEvents {
  /** Every state change, with the state before it. */
  state: [state: ZkState, previous: ZkState];
  /** A new session was established (the first one, or one replacing a lost session). */
  session: [sessionId: bigint];
}
