/**
 * The commit lock of a storage: one transaction between `tpcBegin` and
 * `tpcFinish`/`tpcAbort` at a time, the others wait in arrival order.
 */

interface Waiter {
  readonly owner: object;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** A FIFO mutex whose owner is an object (the transaction handle). */
export class CommitLock {
  #holder: object | undefined;
  readonly #waiters: Waiter[] = [];

  /** The transaction holding the lock, if any. */
  get holder(): object | undefined {
    return this.#holder;
  }

  /** Whether `owner` is queued for the lock. */
  isWaiting(owner: object): boolean {
    return this.#waiters.some((w) => w.owner === owner);
  }

  /** Resolves once `owner` holds the lock. */
  acquire(owner: object): Promise<void> {
    if (this.#holder === undefined) {
      this.#holder = owner;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ owner, resolve, reject });
    });
  }

  /** Releases the lock held by `owner` and hands it to the first waiter. */
  release(owner: object): void {
    if (this.#holder !== owner) return;
    const next = this.#waiters.shift();
    this.#holder = next?.owner;
    next?.resolve();
  }

  /** Removes `owner` from the queue, failing its `acquire` with `error`; false if it was not waiting. */
  cancel(owner: object, error: Error): boolean {
    const index = this.#waiters.findIndex((w) => w.owner === owner);
    if (index < 0) return false;
    const [waiter] = this.#waiters.splice(index, 1);
    waiter?.reject(error);
    return true;
  }

  /** Fails every queued `acquire` with `error` (the storage is closing). */
  rejectAll(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}
