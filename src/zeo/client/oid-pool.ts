/**
 * New object ids, fetched from the server in batches (`new_oids` returns
 * 100) and handed out lowest first, with the next batch requested in the
 * background before the pool runs dry.
 */
import type { Oid } from '../../storage/oid.js';

/** Options of an {@link OidPool}. */
export interface OidPoolOptions {
  /** Fetches a batch of fresh oids from the server. */
  readonly fetch: () => Promise<Oid[]>;
  /** When fewer oids than this remain, the next batch is requested in the background. @defaultValue 10 */
  readonly lowWater?: number;
  /** Told when a background fetch failed (the next `take` fetches again). */
  readonly onPrefetchError?: (error: unknown) => void;
}

/**
 * A pool of oids the server allocated for this client. {@link clear} drops
 * them (on disconnect: a restarted server may hand them out again) and
 * makes results of fetches still under way be ignored.
 */
export class OidPool {
  readonly #fetch: () => Promise<Oid[]>;
  readonly #lowWater: number;
  readonly #onPrefetchError: (error: unknown) => void;
  #oids: Oid[] = [];
  #next = 0;
  #inFlight: Promise<void> | undefined;
  #generation = 0;

  /** An empty pool; the first `take` fetches. */
  constructor(options: OidPoolOptions) {
    this.#fetch = options.fetch;
    this.#lowWater = options.lowWater ?? 10;
    this.#onPrefetchError = options.onPrefetchError ?? (() => undefined);
  }

  /** How many oids are ready to be handed out. */
  get available(): number {
    return this.#oids.length - this.#next;
  }

  /** The next oid, fetching a batch first if none is left. */
  async take(): Promise<Oid> {
    for (;;) {
      if (this.#next < this.#oids.length) {
        const oid = this.#oids[this.#next++] as Oid;
        if (this.available < this.#lowWater && this.#inFlight === undefined) {
          this.#refill().catch(this.#onPrefetchError);
        }
        return oid;
      }
      await this.#refill();
    }
  }

  /** `count` oids, ascending. */
  async takeMany(count: number): Promise<Oid[]> {
    const oids: Oid[] = [];
    while (oids.length < count) oids.push(await this.take());
    return oids;
  }

  /** Drops the pool; fetches under way no longer fill it. */
  clear(): void {
    this.#generation++;
    this.#oids = [];
    this.#next = 0;
    this.#inFlight = undefined;
  }

  #refill(): Promise<void> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const generation = this.#generation;
    const done = this.#fetch().then(
      (batch) => {
        if (generation !== this.#generation) return;
        this.#inFlight = undefined;
        const remaining = this.#oids.slice(this.#next);
        this.#oids = remaining.concat(batch).sort(Buffer.compare);
        this.#next = 0;
      },
      (error: unknown) => {
        if (generation === this.#generation) this.#inFlight = undefined;
        throw error;
      },
    );
    this.#inFlight = done;
    return done;
  }
}
