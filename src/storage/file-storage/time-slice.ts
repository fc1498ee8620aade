/**
 * Long jobs on the event loop (a pack) give way to loads and commits every
 * few milliseconds, so a server keeps answering its other clients.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Yields to the event loop once a slice of work has run long enough. */
export class TimeSlicer {
  readonly #sliceMs: number;
  readonly #afterYield: () => void;
  #start = performance.now();

  /** Slices of `sliceMs`; `afterYield` runs after each pause (to stop a cancelled job, say). */
  constructor(sliceMs: number, afterYield: () => void) {
    this.#sliceMs = sliceMs;
    this.#afterYield = afterYield;
  }

  /** Pauses for one turn of the event loop if the current slice is used up. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.#start < this.#sliceMs) return;
    await nextTurn();
    this.#afterYield();
    this.#start = performance.now();
  }
}
