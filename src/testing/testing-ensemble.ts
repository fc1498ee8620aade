import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from './free-port.js';
import { forgetDirectory, removeOnExit } from './process-cleanup.js';
import { checkTickTime, ZooKeeperMember } from './zookeeper-member.js';
import { InvalidArgumentError } from '../errors.js';

/** Options for {@link TestingEnsemble.start}. */
export interface TestingEnsembleOptions {
  /** Number of members. @defaultValue `3` */
  readonly size?: number;
  /** ZooKeeper's tick. @defaultValue `500` */
  readonly tickTimeMs?: number;
  /** Log level of each member's log. @defaultValue `'warn'` */
  readonly logLevel?: string;
  /** Parent directory for the ensemble's temp directory. @defaultValue the OS temp dir */
  readonly tmpDir?: string;
}

/**
 * A private ZooKeeper ensemble on loopback, like Curator's
 * `TestingCluster`: three members by default, each a {@link ZooKeeperMember}
 * that can be stopped, killed, restarted or paused, and a way to find the
 * current leader by asking the members.
 */
export class TestingEnsemble {
  readonly #members: readonly ZooKeeperMember[];
  readonly #dir: string;
  #closed = false;

  private constructor(members: ZooKeeperMember[], dir: string) {
    this.#members = members;
    this.#dir = dir;
  }

  /** Starts every member and resolves once they have elected a leader and all serve. */
  static async start(options: TestingEnsembleOptions = {}): Promise<TestingEnsemble> {
    const size = options.size ?? 3;
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`size must be a positive integer, got ${size}`);
    checkTickTime(options.tickTimeMs);
    const dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'zkzeo-zkq-'));
    removeOnExit(dir);
    const ports = await freePorts(3 * size);
    const quorumLines = Array.from(
      { length: size },
      (_, i) => `server.${i + 1}=127.0.0.1:${ports[size + i]}:${ports[2 * size + i]}`,
    );
    const members = Array.from(
      { length: size },
      (_, i) =>
        new ZooKeeperMember({
          id: i + 1,
          dir: join(dir, `n${i + 1}`),
          clientPort: ports[i] ?? 0,
          quorumLines,
          tickTimeMs: options.tickTimeMs ?? 500,
          logLevel: options.logLevel ?? 'warn',
        }),
    );
    const ensemble = new TestingEnsemble(members, dir);
    try {
      for (const member of members) member.spawn();
      await Promise.all(members.map((member) => member.waitServing(60_000)));
      return ensemble;
    } catch (error) {
      await ensemble.close();
      throw error;
    }
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,…`: a connection string for all members. */
  get connectionString(): string {
    return this.#members.map((member) => member.address).join(',');
  }

  /** The members, in server-id order. */
  get members(): readonly ZooKeeperMember[] {
    return this.#members;
  }

  /**
   * The member that currently reports `Mode: leader`, waiting up to
   * `timeoutMs` for an election to finish.
   */
  async leader(timeoutMs = 30_000): Promise<ZooKeeperMember> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const modes = await Promise.all(this.#members.map((member) => member.mode()));
      const index = modes.indexOf('leader');
      const leader = this.#members[index];
      if (leader !== undefined) return leader;
      await sleep(25);
    }
    throw new Error(`no ZooKeeper leader elected within ${timeoutMs} ms`);
  }

  /** Waits until every running, unpaused member serves requests again (after a failover). */
  async waitServing(timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.#members.filter((member) => member.running && !member.paused).map((member) => member.waitServing(timeoutMs)));
  }

  /** Kills every member and removes the ensemble's directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#members.map((member) => member.kill()));
    rmSync(this.#dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    forgetDirectory(this.#dir);
  }
}
