import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './free-port.js';
import { forgetDirectory, removeOnExit } from './process-cleanup.js';
import { checkTickTime, ZooKeeperMember } from './zookeeper-member.js';
import { InvalidArgumentError } from '../errors.js';

/** Options for {@link TestingServer.start}. */
export interface TestingServerOptions {
  /**
   * `quorum1` runs a one-member ensemble, which is safe to stop and restart
   * under connected clients; `standalone` starts about 0.25 s faster but can
   * leave a client that reconnects during its start-up hanging forever.
   * @defaultValue `'quorum1'`
   */
  readonly mode?: 'quorum1' | 'standalone';
  /**
   * ZooKeeper's tick. Session timeouts may range from 2 ticks to 60 s.
   * @defaultValue `500`
   */
  readonly tickTimeMs?: number;
  /**
   * Log level of the server's own log (`zk.log` in its directory).
   * @defaultValue `'warn'`
   */
  readonly logLevel?: string;
  /** Parent directory for the server's temp directory. @defaultValue the OS temp dir */
  readonly tmpDir?: string;
}

/**
 * A private Apache ZooKeeper server for tests, demos and benchmarks, like
 * Curator's `TestingServer`: Debian's `libzookeeper-java` run on a free
 * 127.0.0.1 port with a temp data directory, removed again by
 * {@link TestingServer.close} or when the process exits.
 *
 * @example
 * ```ts
 * const server = await TestingServer.start();
 * const zk = new ZkClient(server.connectionString);
 * await zk.start();
 * // …
 * await zk.close();
 * await server.close();
 * ```
 */
export class TestingServer {
  readonly #member: ZooKeeperMember;
  readonly #dir: string;
  #closed = false;

  private constructor(member: ZooKeeperMember, dir: string) {
    this.#member = member;
    this.#dir = dir;
  }

  /** Starts a server and resolves once it serves requests. */
  static async start(options: TestingServerOptions = {}): Promise<TestingServer> {
    const mode = options.mode ?? 'quorum1';
    if (mode !== 'quorum1' && mode !== 'standalone') {
      throw new InvalidArgumentError(`mode must be 'quorum1' or 'standalone', got ${JSON.stringify(mode)}`);
    }
    checkTickTime(options.tickTimeMs);
    const quorum = mode === 'quorum1';
    let lastError: unknown;
    // Ports are found by binding and closing, so another process may take
    // one before the JVM binds it: try again with fresh ports.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'zkzeo-zk-'));
      removeOnExit(dir);
      const [clientPort = 0, quorumPort, electionPort] = await freePorts(quorum ? 3 : 1);
      const member = new ZooKeeperMember({
        id: 1,
        dir,
        clientPort,
        quorumLines: quorum ? [`server.1=127.0.0.1:${quorumPort}:${electionPort}`] : [],
        tickTimeMs: options.tickTimeMs ?? 500,
        logLevel: options.logLevel ?? 'warn',
      });
      member.spawn();
      try {
        await member.waitServing();
        return new TestingServer(member, dir);
      } catch (error) {
        lastError = error;
        await member.kill();
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
        forgetDirectory(dir);
        if (!member.log().includes('Address already in use')) break;
      }
    }
    throw lastError;
  }

  /** The client port on 127.0.0.1. */
  get port(): number {
    return this.#member.port;
  }

  /** `127.0.0.1:<port>`: a connection string for this server. */
  get connectionString(): string {
    return this.#member.address;
  }

  /** The server's temp directory (config, data, log). */
  get dir(): string {
    return this.#dir;
  }

  /** The JVM's process id while it runs. */
  get pid(): number | undefined {
    return this.#member.pid;
  }

  /** The server's log so far. */
  log(): string {
    return this.#member.log();
  }

  /** Stops the server (SIGTERM) and waits for it to exit; data is kept. */
  stop(): Promise<void> {
    return this.#member.stop();
  }

  /** Kills the server (SIGKILL) and waits for it to exit; data is kept. */
  kill(): Promise<void> {
    return this.#member.kill();
  }

  /**
   * Stops the server if it runs, then starts it again on the same port and data directory
   * (sessions survive, as with a real restart) and waits until it serves.
   */
  async restart(): Promise<void> {
    await this.#member.restart();
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.#member.pause();
  }

  /** Thaws a paused server (SIGCONT). */
  resume(): void {
    this.#member.resume();
  }

  /** Kills the server and removes its directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#member.kill();
    rmSync(this.#dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    forgetDirectory(this.#dir);
  }
}
