/**
 * ZEO's Nagios check (`zeo-nagios`, ZEO's `nagios.py`): ask a ZEO server
 * for its status with the pickle-free `ruok` request and report it with
 * Nagios's conventions, in the same words and layout as the Python plugin,
 * so it works the same against our server and a Python one.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { pythonFloatStr, pythonJsonDumps, pythonOsErrorStr, pythonStrRepr, type JsonValue } from './python-text.js';

/** Nagios plugin exit statuses. */
export const NagiosStatus = Object.freeze({
  /** The service is fine. */
  ok: 0,
  /** Something needs a look (an empty storage, no storages). */
  warning: 1,
  /** The service is down (cannot connect, no server found). */
  critical: 2,
  /** The plugin could not tell (ZooKeeper unreachable, an unreadable answer). */
  unknown: 3,
} as const);

/** One of the {@link NagiosStatus} values. */
export type NagiosStatus = (typeof NagiosStatus)[keyof typeof NagiosStatus];

/** What a check prints and the status it exits with. */
export interface NagiosResult {
  /** The exit status. */
  readonly status: NagiosStatus;
  /** The text to print on standard output (ends with a newline). */
  readonly output: string;
}

/** The time units rate metrics can be expressed in (`-u`), in seconds. */
export const TIME_UNITS = Object.freeze({
  /** Rates per second. */
  seconds: 1,
  /** Rates per minute (the default). */
  minutes: 60,
  /** Rates per hour. */
  hours: 3600,
  /** Rates per day. */
  days: 86_400,
} as const);

/** One of the keys of {@link TIME_UNITS}. */
export type TimeUnit = keyof typeof TIME_UNITS;

/** Options of {@link checkZeoServer}, the plugin's `-m`, `-s` and `-u`. */
export interface ZeoCheckOptions {
  /** `-m`: add performance data (metrics). @defaultValue `false` */
  readonly outputMetrics?: boolean;
  /** `-s`: a status file kept between runs, for rate metrics (with `-m`). */
  readonly statusPath?: string;
  /** `-u`: the unit of the rates. @defaultValue `'minutes'` */
  readonly timeUnits?: TimeUnit;
  /** How long to wait for the server's answer. @defaultValue `10000` */
  readonly timeoutMs?: number;
}

const NO_TRANSACTION = '0'.repeat(16);
const LEVEL_METRICS = ['active_txns', 'connections', 'waiting'] as const;
const RATE_METRICS = ['aborts', 'commits', 'conflicts', 'conflicts_resolved', 'loads', 'stores'] as const;
const RUOK = Buffer.from([0, 0, 0, 4, 0x72, 0x75, 0x6f, 0x6b]);

/**
 * Where an address in the plugins' syntax points: `[v6]:port`, `host:port`,
 * or else a Unix socket path.
 */
export function nagiosSocketTarget(address: string): net.NetConnectOpts {
  const v6 = /^\[(\S+)\]:(\d+)$/.exec(address);
  if (v6 !== null) return { host: v6[1] as string, port: Number(v6[2]), family: 6 };
  const inet = /^(\S+):(\d+)$/.exec(address);
  if (inet !== null) return { host: inet[1] as string, port: Number(inet[2]), family: 4 };
  return { path: address };
}

/** Why talking to a server failed: it could not be reached, or it did not answer properly. */
class ExchangeError extends Error {
  constructor(
    readonly stage: 'connect' | 'answer',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Connects to `address`, sends `request`, and collects what comes back
 * until `complete` says it has enough (or the server closes, for a
 * `complete` that never says so). Chunks are kept as received and
 * concatenated once.
 * @internal
 */
export function exchange(
  address: string,
  request: Buffer | string,
  timeoutMs: number,
  complete: (chunks: readonly Buffer[], total: number) => boolean = () => false,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(nagiosSocketTarget(address));
    const chunks: Buffer[] = [];
    let total = 0;
    let connected = false;
    const finish = (error?: ExchangeError): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
    };
    const timer = setTimeout(() => finish(new ExchangeError(connected ? 'answer' : 'connect', 'timed out')), timeoutMs);
    socket.once('connect', () => {
      connected = true;
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (complete(chunks, total)) finish();
    });
    socket.once('end', () => finish());
    socket.once('error', (error) => finish(new ExchangeError(connected ? 'answer' : 'connect', pythonOsErrorStr(error))));
  });
}

/** The length of the sized frame starting at `offset` of `data`, if its header has arrived. */
function frameEnd(data: Buffer, offset: number): number | undefined {
  return data.length < offset + 4 ? undefined : offset + 4 + data.readUInt32BE(offset);
}

/** The second sized frame of `data` (the first is the server's protocol announcement). */
function statusFrame(data: Buffer): Buffer | undefined {
  const first = frameEnd(data, 0);
  if (first === undefined) return undefined;
  const second = frameEnd(data, first);
  return second === undefined || data.length < second ? undefined : data.subarray(first + 4, second);
}

/** Asks a ZEO server for its status (`ruok`) and returns its JSON text. */
async function ruok(address: string, timeoutMs: number): Promise<string> {
  // The answer is two small frames, usually in one chunk: joining is rarely needed.
  const joined = (chunks: readonly Buffer[], total: number): Buffer => (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
  const data = await exchange(address, RUOK, timeoutMs, (chunks, total) => total >= 8 && statusFrame(joined(chunks, total)) !== undefined);
  const frame = statusFrame(data);
  if (frame === undefined) throw new ExchangeError('answer', 'the server closed the connection before sending its status');
  return frame.toString('latin1');
}

type StorageData = Record<string, JsonValue>;

function metricLabel(storageId: string, name: string): string {
  if (storageId === '1') return name;
  return storageId.includes(' ') ? `'${storageId}:${name}'` : `${storageId}:${name}`;
}

function metricValue(value: JsonValue | undefined): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloatStr(value);
  return value === undefined ? 'None' : String(value);
}

function numberOf(value: JsonValue | undefined): number {
  return typeof value === 'number' ? value : Number.NaN;
}

/** The plugin's output layout: the first metric after `|` on the first line, the rest on a `| ` line. */
function result(messages: string[], metrics: string[], status: NagiosStatus): NagiosResult {
  const lines = [...messages];
  if (metrics.length > 0) lines[0] = `${lines[0] ?? ''}|${metrics[0]}`;
  if (metrics.length > 1) lines.push(`| ${metrics.slice(1).join('\n ')}`);
  return { status, output: `${lines.join('\n')}\n` };
}

async function previousStatus(statusPath: string, nowMs: number): Promise<{ data: Record<string, StorageData>; ageSeconds: number } | undefined> {
  const info = await stat(statusPath).catch(() => undefined);
  if (info === undefined) return undefined;
  const ageSeconds = (nowMs - info.mtimeMs) / 1000;
  if (!(ageSeconds > 0)) return undefined;
  try {
    return { data: JSON.parse(await readFile(statusPath, 'utf8')) as Record<string, StorageData>, ageSeconds };
  } catch {
    // An unreadable file only costs one round of rates; it is rewritten below.
    return undefined;
  }
}

/**
 * Checks the ZEO server at `address` (`host:port`, `[v6]:port` or a Unix
 * socket path) as ZEO's `zeo-nagios` does: `OK`; `Empty storage '<id>'`
 * (warning) for storages without transactions; `No storages` (warning);
 * `Can't connect <reason>` (critical). With `outputMetrics`, performance
 * data for each storage (`active_txns`, `connections`, `waiting`) and, with
 * a `statusPath`, the rates of `aborts`, `commits`, `conflicts`,
 * `conflicts_resolved`, `loads` and `stores` per `timeUnits` since the
 * previous run.
 */
export async function checkZeoServer(address: string, options: ZeoCheckOptions = {}): Promise<NagiosResult> {
  const units = options.timeUnits ?? 'minutes';
  if (!Object.hasOwn(TIME_UNITS, units)) throw new InvalidArgumentError(`unknown time unit ${JSON.stringify(units)}: expected seconds, minutes, hours or days`);
  let text: string;
  try {
    text = await ruok(address, options.timeoutMs ?? 10_000);
  } catch (error) {
    if (error instanceof ExchangeError && error.stage === 'connect') return result([`Can't connect ${error.message}`], [], NagiosStatus.critical);
    return result([`No status from ${address}: ${(error as Error).message}`], [], NagiosStatus.critical);
  }
  let data: Record<string, StorageData>;
  try {
    data = JSON.parse(text) as Record<string, StorageData>;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not a JSON object');
  } catch (error) {
    return result([`Unreadable status from ${address}: ${(error as Error).message}`], [], NagiosStatus.unknown);
  }
  const ids = Object.keys(data).sort();
  if (ids.length === 0) return result(['No storages'], [], NagiosStatus.warning);

  const metrics: string[] = [];
  if (options.outputMetrics === true) {
    for (const id of ids) for (const name of LEVEL_METRICS) metrics.push(`${metricLabel(id, name)}=${metricValue(data[id]?.[name])}`);
    if (options.statusPath !== undefined) {
      const nowMs = Date.now();
      const previous = await previousStatus(options.statusPath, nowMs);
      if (previous !== undefined) {
        const dt = previous.ageSeconds / TIME_UNITS[units];
        for (const id of ids) {
          const current = data[id] as StorageData;
          current['sameple-time'] = nowMs / 1000; // sic: the Python plugin's key
          const old = previous.data[id];
          if (old === undefined) continue;
          for (const name of RATE_METRICS) {
            metrics.push(`${metricLabel(id, name)}=${pythonFloatStr((numberOf(current[name]) - numberOf(old[name])) / dt)}`);
          }
        }
      }
      await writeFile(options.statusPath, pythonJsonDumps(data, new Set(['sameple-time', 'lock_time'])));
    }
  }

  const messages: string[] = [];
  let level: NagiosStatus = NagiosStatus.ok;
  for (const id of ids) {
    if (data[id]?.['last-transaction'] === NO_TRANSACTION) {
      messages.push(`Empty storage ${pythonStrRepr(id)}`);
      level = NagiosStatus.warning;
    }
  }
  if (messages.length === 0) messages.push('OK');
  return result(messages, metrics, level);
}
