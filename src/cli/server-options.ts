// The command line zeo-server and zkrunzeo share (runzeo's options), and
// the stderr logger both use.
import { type Command, InvalidArgumentError as CommanderArgumentError } from 'commander';
import type { Logger } from '../logger.js';
import type { ZeoServerRunOptions } from '../server/run-server.js';
import type { CliIo } from './cli-io.js';

/** The parsed options of a server command. */
export interface ServerFlags {
  /** `-a`: where to listen. */
  readonly address?: string;
  /** `-f`: FileStorage files to serve. */
  readonly filename: string[];
  /** `-r`: serve read-only. */
  readonly readOnly?: boolean;
  /** `-C`: a ZConfig file. */
  readonly configure?: string;
  /** `-t`: transaction timeout in seconds. */
  readonly timeout?: number;
  /** `--shutdown-timeout`: seconds a graceful shutdown waits before dropping connections. */
  readonly shutdownTimeout?: number;
  /** `--msgpack`: announce msgpack. */
  readonly msgpack?: boolean;
  /** `--no-fsync` turns this off. */
  readonly fsync: boolean;
  /** `-v`: log debug messages. */
  readonly verbose?: boolean;
}

function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new CommanderArgumentError('must be a positive number of seconds');
  return parsed;
}

function secondsOrZero(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) throw new CommanderArgumentError('must be a number of seconds, 0 or more');
  return parsed;
}

/** Adds runzeo's options to `command`; `configHelp` says which sections `-C` reads. */
export function addServerOptions(command: Command, help: { address: string; config: string }): Command {
  return command
    .option('-a, --address <address>', help.address)
    .option(
      '-f, --filename <file>',
      'a FileStorage file to serve (repeatable: served as 1, 2, ...)',
      (file: string, files: string[]) => [...files, file],
      [] as string[],
    )
    .option('-r, --read-only', 'serve read-only')
    .option('-C, --configure <file>', help.config)
    .option('-t, --timeout <seconds>', 'transaction timeout: disconnect a client holding the commit lock longer than this', seconds)
    .option(
      '--shutdown-timeout <seconds>',
      'on SIGTERM/SIGINT, how long to wait for commits being finished and replies being sent before dropping connections (default 5)',
      secondsOrZero,
    )
    .option('--msgpack', 'announce the msgpack encoding')
    .option('--no-fsync', 'do not fsync FileStorages on commit (faster, not crash-safe)')
    .option('-v, --verbose', 'log debug messages');
}

/** The library options the flags stand for. */
export function serverRunOptions(flags: ServerFlags, logger: Logger): ZeoServerRunOptions {
  return {
    address: flags.address,
    files: flags.filename,
    readOnly: flags.readOnly,
    configFile: flags.configure,
    transactionTimeoutSeconds: flags.timeout,
    shutdownTimeoutSeconds: flags.shutdownTimeout,
    msgpack: flags.msgpack,
    fsync: flags.fsync,
    logger,
  };
}

/** A logger writing `<time> <LEVEL> <message>` lines to stderr, as runzeo does. */
export function stderrLogger(io: CliIo, verbose: boolean): Logger {
  const write =
    (level: string) =>
    (fieldsOrMessage: Record<string, unknown> | string, message?: string): void => {
      const text = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : (message ?? '');
      io.stderr(`${new Date().toISOString()} ${level} ${text}\n`);
    };
  const ignore = (): void => undefined;
  return { debug: verbose ? write('DEBUG') : ignore, info: write('INFO'), warn: write('WARNING'), error: write('ERROR') };
}
