/**
 * A zc.monitor-style command server: a client sends one line (a command
 * name and space-separated arguments), gets the command's text output, and
 * the server closes the connection; `interactive` keeps it open until
 * `quit` (an empty line then repeats the last command). Listens on TCP or
 * on a Unix socket (an existing socket file is replaced, as zc.monitor does).
 */
import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { SocketAddress } from '../config/socket-address.js';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { formatBoundAddress, listenOn, type BoundAddress } from '../server/listen.js';
import { pythonStrRepr } from './python-text.js';

/** What a command's output goes to. */
export interface MonitorOutput {
  /** Sends text to the client. */
  write(text: string): void;
}

/** What a command may return to change the connection's mode. */
export const MonitorMode = Object.freeze({
  /** Keep the connection open after each command (zc.monitor's `interactive`). */
  interactive: 'interactive',
  /** Close the connection after the current command (the default mode; `quit`). */
  quit: 'quit',
} as const);

/** One of the {@link MonitorMode} values. */
export type MonitorMode = (typeof MonitorMode)[keyof typeof MonitorMode];

/** A command the monitor server runs. */
export interface MonitorCommand {
  /** Help text: the first line is the summary `help` lists, the whole text is `help NAME`. */
  readonly help: string;
  /**
   * Runs the command with the words that followed its name. A thrown
   * error is reported to the client as `<ErrorName>: <message>`.
   */
  run(output: MonitorOutput, args: readonly string[]): void | MonitorMode | Promise<void | MonitorMode>;
}

/** Options for {@link MonitorServer.start}. */
export interface MonitorServerOptions {
  /** Commands besides the built-in `help`, `interactive` and `quit`. */
  readonly commands?: Readonly<Record<string, MonitorCommand>>;
  /** Longest command line accepted; longer ones close the connection. @defaultValue `65536` */
  readonly maxLineBytes?: number;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

const INTERACTIVE_HELP = `Turn on monitor's interactive mode

Normally, the monitor releases the connection after a single command.
By entering the interactive mode, the monitor will not end the connection
until you enter the "quit" command.

In interactive mode, an empty line repeats the last command.`;

const QUIT_HELP = `Quit the monitor

This is only really useful in interactive mode (see the "interactive"
command).`;

const HELP_HELP = `Get help about server commands

By default, a list of commands and summaries is printed.  Provide
a command name to get detailed documentation for a command.`;

/** The monitor's listening socket and its commands. */
export class MonitorServer {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #commands = new Map<string, MonitorCommand>();
  readonly #maxLineBytes: number;
  readonly #logger: Logger;
  #address: BoundAddress | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: MonitorServerOptions) {
    this.#maxLineBytes = options.maxLineBytes ?? 65_536;
    this.#logger = options.logger ?? silentLogger;
    this.#commands.set('help', { help: HELP_HELP, run: (output, args) => this.#help(output, args) });
    this.#commands.set('interactive', {
      help: INTERACTIVE_HELP,
      run: (output) => {
        output.write('Interactive mode on.  Use "quit" To exit.\n');
        return MonitorMode.interactive;
      },
    });
    this.#commands.set('quit', {
      help: QUIT_HELP,
      run: (output) => {
        output.write('Goodbye.\n');
        return MonitorMode.quit;
      },
    });
    for (const [name, command] of Object.entries(options.commands ?? {})) this.register(name, command);
    this.#server = net.createServer((socket) => this.#serve(socket));
  }

  /**
   * Starts a monitor server on `address` (TCP: no port or port 0 lets the
   * system choose).
   * @throws ListenError when the address cannot be bound (its `cause` has
   *   the system error, `EADDRINUSE` when taken)
   */
  static async start(address: SocketAddress, options: MonitorServerOptions = {}): Promise<MonitorServer> {
    const monitor = new MonitorServer(options);
    if (address.family === 'unix') await removeSocketFile(address.path);
    monitor.#address = await listenOn(monitor.#server, address);
    monitor.#logger.info(`monitor server listening on ${formatBoundAddress(monitor.#address)}`);
    return monitor;
  }

  /** Where the monitor listens (the chosen port when 0 was asked for). */
  get address(): BoundAddress {
    if (this.#address === undefined) throw new InvalidArgumentError('the monitor server is not listening');
    return this.#address;
  }

  /** The names of the commands, sorted. */
  get commandNames(): string[] {
    return [...this.#commands.keys()].sort();
  }

  /** Adds (or replaces) a command. */
  register(name: string, command: MonitorCommand): void {
    if (name === '' || /\s/.test(name)) throw new InvalidArgumentError(`a monitor command name must be one word, got ${JSON.stringify(name)}`);
    this.#commands.set(name, command);
  }

  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closing;
  }

  #help(output: MonitorOutput, args: readonly string[]): void {
    const [name] = args;
    if (name === undefined) {
      const lines = [...this.#commands].map(([command, { help }]) => `${command} -- ${help.split('\n', 1)[0] || '?'}`).sort();
      output.write(`Supported commands:\n  ${lines.join('\n  ')}\n`);
      return;
    }
    const command = this.#commands.get(name);
    if (command === undefined) throw new InvalidArgumentError(`no command ${pythonStrRepr(name)}`);
    output.write(`Help for ${name}:\n\n${command.help}\n`);
  }

  #serve(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', (error) => this.#logger.debug({ err: error }, 'monitor connection failed'));
    const output: MonitorOutput = { write: (text) => void (socket.writable && socket.write(text)) };
    let mode: MonitorMode = MonitorMode.quit;
    let lastCommand: readonly string[] | undefined;
    let pending = '';
    let queue = Promise.resolve();
    let done = false;

    const handleLine = async (line: string): Promise<void> => {
      if (done) return;
      let words = line.trim().split(/\s+/).filter((word) => word !== '');
      if (words.length === 0) {
        if (lastCommand === undefined) return;
        words = [...lastCommand];
      } else {
        lastCommand = words;
      }
      const [name = '', ...args] = words;
      const command = this.#commands.get(name);
      if (command === undefined) {
        output.write(`Invalid command ${pythonStrRepr(name)}\nTry "help".\n`);
      } else {
        try {
          const result = await command.run(output, args);
          if (result !== undefined) mode = result;
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          output.write(`${err.name}: ${err.message}\n`);
        }
      }
      if (mode === MonitorMode.quit) {
        done = true;
        socket.end();
      }
    };

    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        queue = queue.then(() => handleLine(line));
        newline = pending.indexOf('\n');
      }
      if (Buffer.byteLength(pending) > this.#maxLineBytes) {
        this.#logger.warn(`monitor command line longer than ${this.#maxLineBytes} bytes; connection closed`);
        done = true;
        socket.destroy();
      }
    });
  }
}

/** zc.monitor replaces an existing Unix socket file rather than failing on it. */
async function removeSocketFile(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (stat?.isSocket() === true) await unlink(path).catch(() => undefined);
}
