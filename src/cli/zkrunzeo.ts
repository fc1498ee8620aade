#!/usr/bin/env node
/**
 * `zkrunzeo`: runs a ZEO storage server and registers it in ZooKeeper
 * (zc.zkzeo's `zkrunzeo`). The `zeo-server` command line; the `-C`
 * configuration file's `<zookeeper>` section says where to register.
 * Argument parsing only; `startRegisteredZeoServer` does the work.
 *
 * Prints `listening on <address>` on stdout once the server accepts
 * connections, and `registered <node path>…` once its node exists. Shuts
 * down on SIGTERM or SIGINT, withdrawing the registration first. Exit
 * codes: 0 after a shutdown, 1 when the server cannot start or register
 * (the registration path does not exist), 2 for a bad command line.
 *
 * @example
 * ```
 * zkrunzeo -C zeo.conf
 * ```
 */
import { Command, InvalidArgumentError as CommanderArgumentError } from 'commander';
import type { Logger } from '../logger.js';
import { formatBoundAddress } from '../server/listen.js';
import { closeOnSignal } from '../server/run-server.js';
import { RegistrationClosedError } from '../zkzeo/errors.js';
import { startRegisteredZeoServer } from '../zkzeo/run-zkzeo.js';
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

interface ZkRunZeoFlags {
  readonly address?: string;
  readonly filename: string[];
  readonly readOnly?: boolean;
  readonly configure?: string;
  readonly timeout?: number;
  readonly msgpack?: boolean;
  readonly fsync: boolean;
  readonly verbose?: boolean;
}

const never = new Promise<never>(() => undefined);

async function serve(flags: ZkRunZeoFlags, io: CliIo): Promise<void> {
  const logger = stderrLogger(io, flags.verbose === true);
  const running = await startRegisteredZeoServer({
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
  // A registration that cannot be made (no such path) stops the server: unregistered, nobody finds it.
  const registrationFailed = running.registered.then(
    (registration) => {
      if (registration !== undefined) io.stdout(`registered ${registration.nodePaths.join(' ')}\n`);
      return never;
    },
    async (error: unknown) => {
      if (error instanceof RegistrationClosedError) return never;
      await running.close();
      throw error;
    },
  );
  await Promise.race([closeOnSignal(running, process, logger), registrationFailed]);
}

const program = new Command('zkrunzeo')
  .description('Serve ZODB storages to ZEO clients and register the server in ZooKeeper (the <zookeeper> section of -C).')
  .option('-a, --address <address>', 'where to listen: host:port, :port, a port, or host alone (no port or port 0: any free port)')
  .option('-f, --filename <file>', 'a FileStorage file to serve (repeatable: served as 1, 2, ...)', (file: string, files: string[]) => [...files, file], [] as string[])
  .option('-r, --read-only', 'serve read-only')
  .option('-C, --configure <file>', 'a ZConfig configuration file (<zeo>, storages, <zookeeper>)')
  .option('-t, --timeout <seconds>', 'transaction timeout: disconnect a client holding the commit lock longer than this', seconds)
  .option('--msgpack', 'announce the msgpack encoding')
  .option('--no-fsync', 'do not fsync FileStorages on commit (faster, not crash-safe)')
  .option('-v, --verbose', 'log debug messages')
  .action(async (flags: ZkRunZeoFlags) => serve(flags, processIo));

process.exitCode = await runProgram(program, process.argv.slice(2), processIo);
