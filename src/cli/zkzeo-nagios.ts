#!/usr/bin/env node
/**
 * `zkzeo-nagios [-m] [-s STATUSFILE] [-u UNITS] [-M MONITOR] ZOOKEEPER PATH`:
 * zc.zkzeo's Nagios plugin. Finds the ZEO server registered at PATH and
 * checks it as ZEO's `zeo-nagios` does. Argument parsing only;
 * `checkRegisteredServer` does the work. Exit codes are Nagios's: 0 OK,
 * 1 warning, 2 critical (also for a bad command line), 3 unknown.
 *
 * @example
 * ```
 * zkzeo-nagios -m -s /var/tmp/zeo.status zk.example.com:2181 /databases/demo
 * ```
 */
import { Command, Option } from 'commander';
import { checkRegisteredServer } from '../zkzeo/nagios.js';
import { NagiosStatus, TIME_UNITS, type TimeUnit } from '../zkzeo/nagios-check.js';
import { EXIT, processIo, runProgram } from './cli-io.js';

const MONITOR_HELP =
  'zc.monitor server address to use to look up a server: when several servers are registered at PATH, ' +
  'the one whose monitor server this is';

interface NagiosFlags {
  readonly outputMetrics?: boolean;
  readonly statusPath?: string;
  readonly timeUnits: TimeUnit;
  readonly zcMonitorAddress?: string;
}

let status: number = NagiosStatus.ok;

const program = new Command('zkzeo-nagios')
  .description('Check the ZEO server registered in ZooKeeper at PATH (Nagios plugin).')
  .argument('<zookeeper>', 'a ZooKeeper connection string')
  .argument('<path>', 'a ZooKeeper path at which to look up a ZEO server')
  .option('-m, --output-metrics', 'Output metrics.')
  .option('-s, --status-path <path>', 'Path to status file, needed to get rate metrics')
  .addOption(new Option('-u, --time-units <unit>', 'Time unit for rate metrics').choices(Object.keys(TIME_UNITS)).default('minutes'))
  .option('-M, --zc-monitor-address <address>', MONITOR_HELP)
  .action(async (zookeeper: string, path: string, flags: NagiosFlags) => {
    const result = await checkRegisteredServer(zookeeper, path, {
      outputMetrics: flags.outputMetrics === true,
      statusPath: flags.statusPath,
      timeUnits: flags.timeUnits,
      monitor: flags.zcMonitorAddress,
    });
    processIo.stdout(result.output);
    status = result.status;
  });

const code = await runProgram(program, process.argv.slice(2), processIo);
// A failure of the plugin itself is Nagios's unknown, not a warning.
process.exitCode = code === EXIT.ok ? status : code === EXIT.failed ? NagiosStatus.unknown : code;
