import pRetry from 'p-retry';
import { InvalidArgumentError } from '../errors.js';
import { RetryFailedError } from './errors.js';

/**
 * How {@link retry} retries, with kazoo's `KazooRetry` knobs. The delay
 * before retry n is `delayMs × backoff^(n-1)`, times a random factor in
 * `[1 − maxJitter, 1 + maxJitter]`, capped at `maxDelayMs`.
 */
export interface RetryPolicy {
  /** Retries after the first attempt; `-1` for no limit. @defaultValue `1` */
  readonly maxTries?: number;
  /** Delay before the first retry. @defaultValue `100` */
  readonly delayMs?: number;
  /** Factor the delay grows by on each retry. @defaultValue `2` */
  readonly backoff?: number;
  /** Relative random spread of each delay, 0 to 1. @defaultValue `0.4` */
  readonly maxJitter?: number;
  /** Upper bound of one delay. @defaultValue `60000` */
  readonly maxDelayMs?: number;
  /** Give up when the next try would start later than this after the first. @defaultValue none */
  readonly deadlineMs?: number;
  /** Whether an expired session is retried (a new session replaces it). @defaultValue `true` */
  readonly ignoreExpire?: boolean;
  /** Stops retrying (and the pending delay) when aborted. */
  readonly signal?: AbortSignal;
}

/** kazoo's defaults. */
export const DEFAULT_RETRY_POLICY = Object.freeze({
  /** One retry. */
  maxTries: 1,
  /** 100 ms before the first retry. */
  delayMs: 100,
  /** Doubling delays. */
  backoff: 2,
  /** ±40 % random spread. */
  maxJitter: 0.4,
  /** At most a minute between tries. */
  maxDelayMs: 60_000,
  /** Expired sessions are retried. */
  ignoreExpire: true,
} as const);

// The global setTimeout (not timers/promises), so fake clocks can drive it.
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isRetryable(error: unknown, ignoreExpire: boolean): boolean {
  if (typeof error !== 'object' || error === null || !('retryable' in error) || error.retryable !== true) return false;
  return ignoreExpire || (error as { code?: unknown }).code !== 'ZK_SESSION_EXPIRED';
}

function checkPolicy(policy: RetryPolicy): void {
  const numbers: [string, number | undefined, number][] = [
    ['delayMs', policy.delayMs, 0],
    ['backoff', policy.backoff, 1],
    ['maxDelayMs', policy.maxDelayMs, 0],
    ['deadlineMs', policy.deadlineMs, 0],
  ];
  for (const [name, value, min] of numbers) {
    if (value !== undefined && !(Number.isFinite(value) && value >= min)) {
      throw new InvalidArgumentError(`retry policy: ${name} must be a number >= ${min}, got ${String(value)}`);
    }
  }
  if (policy.maxTries !== undefined && !(Number.isInteger(policy.maxTries) && policy.maxTries >= -1)) {
    throw new InvalidArgumentError(`retry policy: maxTries must be an integer >= -1, got ${String(policy.maxTries)}`);
  }
  if (policy.maxJitter !== undefined && !(policy.maxJitter >= 0 && policy.maxJitter <= 1)) {
    throw new InvalidArgumentError(`retry policy: maxJitter must be between 0 and 1, got ${String(policy.maxJitter)}`);
  }
}

/**
 * Runs `operation` and runs it again while it fails with a retryable
 * ZooKeeper error (connection loss, request timeout, session expiry),
 * never for logic errors such as {@link NoNodeError}, which are thrown at
 * once. When the tries or the deadline run out it throws
 * {@link RetryFailedError} with the last error as `cause`.
 *
 * @param operation - the work to do; called with the attempt number (1-based)
 * @param policy - how often and how long to retry
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  checkPolicy(policy);
  const settings = { ...DEFAULT_RETRY_POLICY, ...policy };
  const started = Date.now();
  let delay = settings.delayMs;
  let failure: RetryFailedError | undefined;
  try {
    return await pRetry(operation, {
      retries: settings.maxTries === -1 ? Number.POSITIVE_INFINITY : settings.maxTries,
      // The delay is kazoo's (jittered before it grows), slept in onFailedAttempt.
      minTimeout: 0,
      maxTimeout: 0,
      ...(settings.signal === undefined ? {} : { signal: settings.signal }),
      shouldRetry: ({ error }) => isRetryable(error, settings.ignoreExpire),
      onFailedAttempt: async ({ error, retriesLeft }) => {
        if (!isRetryable(error, settings.ignoreExpire)) return;
        if (retriesLeft === 0) {
          failure = new RetryFailedError('Too many retry attempts', error);
          return;
        }
        const jitter = 1 + (Math.random() * 2 - 1) * settings.maxJitter;
        const sleepMs = Math.min(delay * jitter, settings.maxDelayMs);
        if (settings.deadlineMs !== undefined && Date.now() - started + sleepMs >= settings.deadlineMs) {
          failure = new RetryFailedError('Exceeded retry deadline', error);
          throw failure;
        }
        delay = Math.min(sleepMs * settings.backoff, settings.maxDelayMs);
        await sleep(sleepMs, settings.signal);
      },
    });
  } catch (error) {
    throw failure ?? error;
  }
}
