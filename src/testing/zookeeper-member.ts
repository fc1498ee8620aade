import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serverMode } from './four-letter-word.js';
import { killOnExit } from './process-cleanup.js';
import { InvalidArgumentError } from '../errors.js';

/** Where Debian's `libzookeeper-java` puts the server and an slf4j backend. */
const CLASSPATH = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-simple.jar'];

/**
 * Checks a tick length option.
 * @throws InvalidArgumentError unless it is a positive whole number of milliseconds
 */
export function checkTickTime(tickTimeMs: number | undefined): void {
  if (tickTimeMs !== undefined && !(Number.isInteger(tickTimeMs) && tickTimeMs > 0)) {
    throw new InvalidArgumentError(`tickTimeMs must be a positive integer, got ${tickTimeMs}`);
  }
}

/** How one member of a test ensemble is laid out on disk and on loopback. */
export interface MemberLayout {
  /** 1-based server id (`myid`). */
  readonly id: number;
  /** The member's own directory: `zoo.cfg`, `data/`, `zk.log`. */
  readonly dir: string;
  /** Client port on 127.0.0.1. */
  readonly clientPort: number;
  /** `server.N=` lines for a quorum; empty for a plain standalone server. */
  readonly quorumLines: readonly string[];
  /** ZooKeeper's tick; sessions may last 2–120 ticks. */
  readonly tickTimeMs: number;
  /** Java log level for the server (`warn` by default). */
  readonly logLevel: string;
}

/**
 * One ZooKeeper JVM started from Debian's jars: private config, data and
 * log in a temp directory, listening on loopback only. It can be stopped,
 * killed, paused and started again on the same port and data directory.
 */
export class ZooKeeperMember {
  readonly #layout: MemberLayout;
  #child: ChildProcess | undefined;
  #spawnError: Error | undefined;
  #paused = false;

  /** @internal */
  constructor(layout: MemberLayout) {
    this.#layout = layout;
    mkdirSync(join(layout.dir, 'data'), { recursive: true });
    if (layout.quorumLines.length > 0) writeFileSync(join(layout.dir, 'data', 'myid'), `${layout.id}\n`);
    writeFileSync(join(layout.dir, 'zoo.cfg'), this.#config());
  }

  /** The member's server id (1 for a single server). */
  get id(): number {
    return this.#layout.id;
  }

  /** The client port on 127.0.0.1. */
  get port(): number {
    return this.#layout.clientPort;
  }

  /** `127.0.0.1:<port>`, for a connection string. */
  get address(): string {
    return `127.0.0.1:${this.#layout.clientPort}`;
  }

  /** The JVM's process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether the JVM process is alive (paused counts as alive). */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Whether the JVM is frozen by {@link ZooKeeperMember.pause}. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The server's log so far (stderr and stdout of the JVM). */
  log(): string {
    const file = join(this.#layout.dir, 'zk.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** `leader`, `follower` or `standalone` per `srvr`, or undefined when not serving. */
  mode(): Promise<string | undefined> {
    return this.#paused || !this.running ? Promise.resolve(undefined) : serverMode(this.port);
  }

  /** Spawns the JVM; resolves once it runs (not yet necessarily serving). */
  spawn(): void {
    if (this.running) return;
    const log = openSync(join(this.#layout.dir, 'zk.log'), 'a');
    const child = spawn(
      'java',
      [
        '-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData',
        // A marker, so a CI machine can sweep test JVMs a killed run left behind.
        '-Dzkzeo.testing=true',
        `-Dorg.slf4j.simpleLogger.defaultLogLevel=${this.#layout.logLevel}`,
        '-cp', CLASSPATH.join(':'),
        'org.apache.zookeeper.server.quorum.QuorumPeerMain', join(this.#layout.dir, 'zoo.cfg'),
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    child.once('error', (error) => {
      this.#spawnError = error;
    });
    killOnExit(child);
    this.#child = child;
    this.#spawnError = undefined;
    this.#paused = false;
  }

  /**
   * Waits until `srvr` reports a mode; rejects when the JVM exits first or
   * `timeoutMs` passes, quoting the end of the server log.
   */
  async waitServing(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#spawnError !== undefined) {
        throw new Error(`cannot run java for ZooKeeper (is libzookeeper-java installed?): ${this.#spawnError.message}`);
      }
      if (!this.running) throw new Error(`ZooKeeper member ${this.id} exited: ${this.#tail()}`);
      const mode = await this.mode();
      if (mode !== undefined) return mode;
      await sleep(25);
    }
    throw new Error(`ZooKeeper member ${this.id} did not serve within ${timeoutMs} ms: ${this.#tail()}`);
  }

  /**
   * Stops the JVM with SIGTERM (or `signal`) and waits for it to exit;
   * after 5 s it is killed.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (this.#paused) child.kill('SIGCONT');
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(escalate);
    this.#paused = false;
  }

  /** Kills the JVM with SIGKILL and waits for it to exit. */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  /** Stops the member if it runs, starts it again on the same port and data, and waits until it serves. */
  async restart(timeoutMs = 30_000): Promise<string> {
    await this.stop();
    this.spawn();
    return this.waitServing(timeoutMs);
  }

  /** Freezes the JVM (SIGSTOP): it keeps its sockets but answers nothing. */
  pause(): void {
    if (!this.running || this.#paused) return;
    this.#child?.kill('SIGSTOP');
    this.#paused = true;
  }

  /** Thaws a paused JVM (SIGCONT). */
  resume(): void {
    if (!this.#paused) return;
    this.#child?.kill('SIGCONT');
    this.#paused = false;
  }

  #tail(): string {
    return this.log().split('\n').slice(-15).join('\n');
  }

  #config(): string {
    const { dir, clientPort, tickTimeMs, quorumLines } = this.#layout;
    const lines = [
      `tickTime=${tickTimeMs}`,
      `minSessionTimeout=${2 * tickTimeMs}`,
      'maxSessionTimeout=60000',
      `dataDir=${join(dir, 'data')}`,
      'clientPortAddress=127.0.0.1',
      `clientPort=${clientPort}`,
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,ruok,mntr,stat,cons',
      'maxClientCnxns=0',
      'forceSync=no',
      'preAllocSize=4096',
    ];
    if (quorumLines.length > 0) {
      // A one-member "quorum" avoids standalone 3.8's start-up race that can
      // leave a reconnecting client hanging forever.
      lines.push('standaloneEnabled=false', 'initLimit=10', 'syncLimit=5', ...quorumLines);
    }
    return `${lines.join('\n')}\n`;
  }
}
