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
import { Command } from 'commander';
import { formatBoundAddress } from '../server/listen.js';
import { closeOnSignal } from '../server/run-server.js';
import { RegistrationClosedError } from '../zkzeo/errors.js';
import { startRegisteredZeoServer } from '../zkzeo/run-zkzeo.js';
import { processIo, runProgram, type CliIo } from './cli-io.js';
import { addServerOptions, serverRunOptions, stderrLogger, type ServerFlags } from './server-options.js';

const never = new Promise<never>(() => undefined);

async function serve(flags: ServerFlags, io: CliIo): Promise<void> {
  const logger = stderrLogger(io, flags.verbose === true);
  const running = await startRegisteredZeoServer(serverRunOptions(flags, logger));
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

const program = addServerOptions(
  new Command('zkrunzeo').description(
    'Serve ZODB storages to ZEO clients and register the server in ZooKeeper (the <zookeeper> section of -C).',
  ),
  {
    address: 'where to listen: host:port, :port, a port, or host alone (no port or port 0: any free port)',
    config: 'a ZConfig configuration file (<zeo>, storages, <zookeeper>)',
  },
).action(async (flags: ServerFlags) => serve(flags, processIo));

process.exitCode = await runProgram(program, process.argv.slice(2), processIo);
