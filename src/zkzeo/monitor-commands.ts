/**
 * The monitor commands a registered ZEO server offers: zc.zk's `servers`
 * (the registrations this process made, which `zkzeo-nagios -M` asks for)
 * and `status` (the storage server's statistics, in the layout of ZEO's
 * statistics dump).
 */
import { encodeJsonString, stringifyPythonJson } from '../registry/python-json.js';
import type { PropertyValue } from '../registry/property-value.js';
import type { RegisteringEvent } from '../registry/zookeeper.js';
import { InvalidArgumentError } from '../errors.js';
import { formatCtime } from '../server/status.js';
import type { StorageServer } from '../server/storage-server.js';
import type { MonitorCommand } from './monitor-server.js';

/** One registration as the `servers` command reports it. */
export interface RegisteredServerRecord {
  /** The address as registered (`":8100"` for all interfaces). */
  readonly address: string;
  /** The resolved ZooKeeper path. */
  readonly path: string;
  /** The registration's properties (`pid`, `monitor`, …). */
  readonly properties: Readonly<Record<string, PropertyValue>>;
}

/**
 * What zc.zk's monitor plugin remembers: every registration this process
 * announced (its `registering` events), newest last. A second registration
 * of the same address at the same path replaces the first.
 */
export class RegisteredServers {
  readonly #records: RegisteredServerRecord[] = [];

  /** A `registering` listener: records the event. */
  readonly record = (event: RegisteringEvent): void => {
    const index = this.#records.findIndex((r) => r.address === event.name && r.path === event.path);
    if (index >= 0) this.#records.splice(index, 1);
    this.#records.push({ address: event.name, path: event.path, properties: { ...event.properties } });
  };

  /** The records, oldest first. */
  get records(): readonly RegisteredServerRecord[] {
    return this.#records;
  }
}

/** Python's `json.dumps` (default separators) of `{"address": …, "path": …, **properties}`. */
function recordJson(record: RegisteredServerRecord): string {
  const entries: Array<[string, PropertyValue]> = [
    ['address', record.address],
    ['path', record.path],
    ...Object.entries(record.properties).filter(([name]) => name !== 'address' && name !== 'path'),
  ];
  return `{${entries.map(([name, value]) => `${encodeJsonString(name)}: ${stringifyPythonJson(value, name)}`).join(', ')}}`;
}

/**
 * zc.zk's `servers [PATH]`: with a path, the addresses registered there,
 * space-separated, on one line; without, every registration as a JSON list.
 */
export function serversCommand(servers: RegisteredServers): MonitorCommand {
  return {
    help: 'Report the servers this process registered in ZooKeeper\n\nWith a PATH, the addresses registered at that path on one line;\nwithout, every registration as a JSON list.',
    run(output, args) {
      const [path] = args;
      if (path === undefined) {
        output.write(`[${servers.records.map(recordJson).join(', ')}]\n`);
      } else {
        output.write(`${servers.records.filter((r) => r.path === path).map((r) => r.address).join(' ')}\n`);
      }
    },
  };
}

/** ZEO's statistics dump for one storage, plus the fields `server_status` added later. */
function storageReport(server: StorageServer, name: string, nowMs: number): string {
  const status = server.status(name);
  const lines = [
    `Storage: ${name}`,
    `Server started: ${status.start}`,
    `Clients: ${status.connections}`,
    `Active transactions: ${status.activeTxns}`,
  ];
  if (status.lockTime !== null) lines.push(`Commit lock held for: ${Math.floor(nowMs / 1000 - status.lockTime)}`);
  lines.push(
    `Commits: ${status.commits}`,
    `Aborts: ${status.aborts}`,
    `Loads: ${status.loads}`,
    `Stores: ${status.stores}`,
    `Conflicts: ${status.conflicts}`,
    `Conflicts resolved: ${status.conflictsResolved}`,
    `Waiting for the commit lock: ${status.waiting}`,
    `Last transaction: ${status.lastTransaction}`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `status [STORAGE]`: the server's statistics for every storage (or one),
 * laid out as ZEO's monitor dump (`Storage: 1`, `Clients: 2`, `Commits: 5`,
 * …), each storage followed by an empty line.
 */
export function statusCommand(server: StorageServer, now: () => number = Date.now): MonitorCommand {
  return {
    help: 'Report the ZEO server statistics\n\nFor every storage, or only the STORAGE named: clients, transactions,\nloads, stores, conflicts and the last transaction id.',
    run(output, args) {
      const [only] = args;
      const names = only === undefined ? server.storageNames.sort() : [only];
      if (only !== undefined && !server.storageNames.includes(only)) {
        throw new InvalidArgumentError(`no storage named ${JSON.stringify(only)} (served: ${server.storageNames.join(', ')})`);
      }
      const nowMs = now();
      output.write(`ZEO monitor server\n${formatCtime(nowMs)}\n\n${names.map((name) => `${storageReport(server, name, nowMs)}\n`).join('')}`);
    },
  };
}
