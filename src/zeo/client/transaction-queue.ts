/**
 * One transaction at a time per client: the server keeps one transaction
 * per connection, so a second `tpcBegin` waits for the first to end.
 */

/** A first-come, first-served lock for the client's transactions. */
export class TransactionQueue {
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  /** Resolves when the caller may begin its transaction. */
  acquire(): Promise<void> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Lets the next waiting transaction begin. */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#busy = false;
  }
}
