#!/usr/bin/env node
/**
 * `zeo-server`: runs a ZEO storage server (Python's `runzeo`). Argument
 * parsing only; `startZeoServer` does the work. Prints
 * `listening on <address>` on stdout once it accepts connections (the
 * bound port when port 0 was asked for), and shuts down gracefully on
 * SIGTERM or SIGINT. Exit codes: 0 after a shutdown, 1 when the server
 * cannot start (the reason on stderr, with file and line for
 * configuration errors), 2 for a bad command line.
 *
 * @example
 * ```
 * zeo-server -a 127.0.0.1:8100 -f Data.fs
 * zeo-server -C zeo.conf
 * ```
 */
import { Command, InvalidArgumentError as CommanderArgumentError } from 'commander';
import type { Logger } from '../logger.js';
import { formatBoundAddress } from '../server/listen.js';
import { closeOnSignal, startZeoServer } from '../server/run-server.js';
import { processIo, runProgram, type CliIo } from './cli-io.js';

function stderrLogger(io: CliIo, verbose: boolean): Logger {
  const write =
    (level: string) =>
    (fieldsOrMessage: Record<string, unknown> | string, message?: string): void => {
      const text = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : (message ?? '');
      io.stderr(`${new Date().toISOString()} ${level} ${text}\n`);
    };
  const ignore = (): void => undefined;
  return { debug: verbose ? write('DEBUG') : ignore, info: write('INFO'), warn: write('WARNING'), error: write('ERROR') };
}

function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new CommanderArgumentError('must be a positive number of seconds');
  return parsed;
}

interface ZeoServerFlags {
  readonly address?: string;
  readonly filename: string[];
  readonly readOnly?: boolean;
  readonly configure?: string;
  readonly timeout?: number;
  readonly msgpack?: boolean;
  readonly fsync: boolean;
  readonly verbose?: boolean;
}

async function serve(flags: ZeoServerFlags, io: CliIo): Promise<void> {
  const logger = stderrLogger(io, flags.verbose === true);
  const running = await startZeoServer({
    address: flags.address,
    files: flags.filename,
    readOnly: flags.readOnly,
    configFile: flags.configure,
    transactionTimeoutSeconds: flags.timeout,
    msgpack: flags.msgpack,
    fsync: flags.fsync,
    logger,
  });
  io.stdout(`listening on ${formatBoundAddress(running.address)}\n`);
  await closeOnSignal(running, process, logger);
}

const program = new Command('zeo-server')
  .description('Serve ZODB storages to ZEO clients.')
  .option('-a, --address <address>', 'where to listen: host:port, :port, a port, or a Unix socket path (port 0: any free port)')
  .option('-f, --filename <file>', 'a FileStorage file to serve (repeatable: served as 1, 2, ...)', (file: string, files: string[]) => [...files, file], [] as string[])
  .option('-r, --read-only', 'serve read-only')
  .option('-C, --configure <file>', 'a ZConfig configuration file (<zeo>, <filestorage>, <mappingstorage>)')
  .option('-t, --timeout <seconds>', 'transaction timeout: disconnect a client holding the commit lock longer than this', seconds)
  .option('--msgpack', 'announce the msgpack encoding')
  .option('--no-fsync', 'do not fsync FileStorages on commit (faster, not crash-safe)')
  .option('-v, --verbose', 'log debug messages')
  .action(async (flags: ZeoServerFlags) => serve(flags, processIo));

process.exitCode = await runProgram(program, process.argv.slice(2), processIo);
