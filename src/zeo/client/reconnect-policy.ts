/**
 * How long the connection manager waits between rounds of connection
 * attempts that all failed.
 */

/**
 * Returns the delay in milliseconds before retry number `attempt` (1 for
 * the first retry after a failed round, 2 for the next, …). The manager
 * clamps whatever it returns to `[minDisconnectPoll, maxDisconnectPoll]`,
 * so a policy cannot exceed the configured maximum.
 */
export type ReconnectPolicy = (attempt: number) => number;

/**
 * The default policy: exponential back-off with jitter, doubling from
 * `minMs` and capped at `maxMs`; each delay is drawn from the upper half
 * of the current step so clients that lost the same server do not return
 * in lock step.
 * @param random - source of uniform numbers in [0, 1) (injectable for tests)
 */
export function exponentialBackoff(minMs: number, maxMs: number, random: () => number = Math.random): ReconnectPolicy {
  return (attempt) => {
    const exponent = Math.min(Math.max(attempt - 1, 0), 40);
    const step = Math.min(maxMs, minMs * 2 ** exponent);
    return clampDelay(step / 2 + (random() * step) / 2, minMs, maxMs);
  };
}

/** `delayMs` forced into `[minMs, maxMs]`; a non-finite or negative value becomes `minMs`. */
export function clampDelay(delayMs: number, minMs: number, maxMs: number): number {
  if (!Number.isFinite(delayMs)) return delayMs === Infinity ? maxMs : minMs;
  return Math.min(maxMs, Math.max(minMs, delayMs));
}
