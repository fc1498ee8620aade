// Awaiting events instead of sleeping.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` every few milliseconds until it holds; fails with
 * `what` after `timeoutMs`. For conditions no event announces (such as
 * another client's view of the server).
 */
export async function eventually<T>(
  what: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A queue of values pushed by callbacks, taken in order by the test. */
export class Inbox<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((value: T) => void)[] = [];

  /** A callback-friendly push. */
  readonly push = (value: T): void => {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(value);
    else this.#items.push(value);
  };

  /** Everything received and not yet taken. */
  get pending(): readonly T[] {
    return this.#items;
  }

  /** The next value, waiting up to `timeoutMs`. */
  next(timeoutMs = 10_000): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new Error(`no value within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (value: T): void => {
        clearTimeout(timer);
        resolve(value);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Takes values until one satisfies `predicate`, returning it. */
  async until(predicate: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.next(Math.max(1, deadline - Date.now()));
      if (predicate(value)) return value;
    }
  }
}
