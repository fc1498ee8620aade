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
import { Command } from 'commander';
import { formatBoundAddress } from '../server/listen.js';
import { closeOnSignal, startZeoServer } from '../server/run-server.js';
import { processIo, runProgram, type CliIo } from './cli-io.js';
import { addServerOptions, serverRunOptions, stderrLogger, type ServerFlags } from './server-options.js';

async function serve(flags: ServerFlags, io: CliIo): Promise<void> {
  const logger = stderrLogger(io, flags.verbose === true);
  const running = await startZeoServer(serverRunOptions(flags, logger));
  io.stdout(`listening on ${formatBoundAddress(running.address)}\n`);
  await closeOnSignal(running, process, logger);
}

const program = addServerOptions(new Command('zeo-server').description('Serve ZODB storages to ZEO clients.'), {
  address: 'where to listen: host:port, :port, a port, or a Unix socket path (port 0: any free port)',
  config: 'a ZConfig configuration file (<zeo>, <filestorage>, <mappingstorage>)',
}).action(async (flags: ServerFlags) => serve(flags, processIo));

process.exitCode = await runProgram(program, process.argv.slice(2), processIo);
