/**
 * The options of a ClientStorage, mirroring ZEO's `<zeoclient>` section,
 * and their checking. Times are in seconds, as in ZEO's configuration.
 */
import { InvalidArgumentError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { ConflictResolver } from '../../storage/storage.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/frame-decoder.js';
import { exponentialBackoff, type ReconnectPolicy } from './reconnect-policy.js';
import { parseZeoAddresses, type ZeoServerAddress, type ZeoAddressInput } from './server-address.js';

/**
 * Which encoding the client answers the server's announcement with. The
 * server talks whatever the client answers, so `auto` answers `M5`
 * (msgpack, the faster one) to `Z5` and `M5` alike; `pickle` and
 * `msgpack` force one. (ZEO 5.0.x servers, which only speak pickle, need
 * `pickle`.)
 */
export const CLIENT_ENCODINGS = Object.freeze({
  /** Answer `M5` whatever the server announced. */
  auto: 'auto',
  /** Answer `M5`. */
  msgpack: 'msgpack',
  /** Answer `Z5`. */
  pickle: 'pickle',
} as const);

/** One of the strings in {@link CLIENT_ENCODINGS}. */
export type ClientEncoding = (typeof CLIENT_ENCODINGS)[keyof typeof CLIENT_ENCODINGS];

/** Options of a ClientStorage. Only `addresses` is required. */
export interface ClientStorageOptions {
  /**
   * The servers (all serving the same database). May be empty (the client
   * then waits for {@link ClientStorage.setAddresses}); replaceable at any
   * time with `setAddresses`.
   */
  readonly addresses: readonly ZeoAddressInput[];
  /** The storage name on the server (`storage`). @defaultValue `'1'` */
  readonly storage?: string;
  /** Size of the in-memory object cache in bytes (`cache-size`); 0 disables it. @defaultValue 20 MB (20971520) */
  readonly cacheSize?: number;
  /** Register read-only and refuse writes locally (`read-only`). @defaultValue `false` */
  readonly readOnly?: boolean;
  /**
   * Prefer a writable server but accept a read-only one while none is
   * reachable (`read-only-fallback`); the client keeps trying to reach a
   * writable server and switches to it when it can. @defaultValue `false`
   */
  readonly readOnlyFallback?: boolean;
  /** `ClientStorage.open` waits until connected (`wait`). @defaultValue `true` */
  readonly wait?: boolean;
  /**
   * Seconds to wait for a connection, at open and for calls made while
   * disconnected (`wait-timeout`); `Infinity` waits without limit, and so
   * does any finite value however large (it is not cut to a timer's limit).
   * @defaultValue `30`
   */
  readonly waitTimeout?: number;
  /** Seconds before the first retry after a round of failed connection attempts. @defaultValue `1` */
  readonly minDisconnectPoll?: number;
  /** Upper bound in seconds of the delay between rounds of connection attempts. @defaultValue `30` */
  readonly maxDisconnectPoll?: number;
  /**
   * The back-off between rounds, clamped to `[minDisconnectPoll,
   * maxDisconnectPoll]`. @defaultValue exponential with jitter
   */
  readonly reconnectPolicy?: ReconnectPolicy;
  /** Seconds allowed for one TCP/Unix connect plus the server's handshake. @defaultValue `10` */
  readonly connectTimeout?: number;
  /** Seconds between keep-alive messages (Python sends one every 60 s). @defaultValue `60` */
  readonly heartbeatInterval?: number;
  /** The name reported by `getName` and used in logs (`name`). @defaultValue the addresses, comma-separated */
  readonly name?: string;
  /** Label shown in the server's logs (`client-label`), sent with `set_client_label`. */
  readonly clientLabel?: string;
  /** The encoding to answer the server's handshake with. @defaultValue `'auto'` (msgpack) */
  readonly encoding?: ClientEncoding;
  /** The largest message accepted from a server, in bytes. @defaultValue 256 MiB */
  readonly maxFrameBytes?: number;
  /**
   * Resolves write conflicts a server in client-side conflict-resolution
   * mode hands back at vote. Without it such conflicts fail the vote with
   * `ConflictError`.
   */
  readonly conflictResolver?: ConflictResolver;
  /** Where to log. @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

/**
 * Options after checking, with defaults filled in and times in
 * milliseconds (see {@link ClientStorageOptions} for each meaning).
 * @internal
 */
export interface ResolvedClientOptions {
  /** Checked server addresses. */
  readonly addresses: readonly ZeoServerAddress[];
  /** Storage name on the server. */
  readonly storage: string;
  /** Cache size in bytes. */
  readonly cacheSize: number;
  /** Register read-only. */
  readonly readOnly: boolean;
  /** Accept read-only servers while no writable one is reachable. */
  readonly readOnlyFallback: boolean;
  /** `open` waits for the first connection. */
  readonly wait: boolean;
  /** How long to wait for a connection (`Infinity`: no limit). */
  readonly waitTimeoutMs: number;
  /** Lower bound of the reconnect delay. */
  readonly minDisconnectPollMs: number;
  /** Upper bound of the reconnect delay. */
  readonly maxDisconnectPollMs: number;
  /** The back-off. */
  readonly reconnectPolicy: ReconnectPolicy;
  /** Time for connect plus handshake. */
  readonly connectTimeoutMs: number;
  /** Keep-alive interval. */
  readonly heartbeatIntervalMs: number;
  /** Name for `getName` and logs. */
  readonly name: string;
  /** Label sent with `set_client_label`. */
  readonly clientLabel: string | undefined;
  /** Handshake answer. */
  readonly encoding: ClientEncoding;
  /** Largest frame accepted. */
  readonly maxFrameBytes: number;
  /** Client-side conflict resolution. */
  readonly conflictResolver: ConflictResolver | undefined;
  /** Where to log. */
  readonly logger: Logger;
}

/** ZConfig's `20MB`. */
export const DEFAULT_CACHE_SIZE = 20 * 1024 * 1024;

function invalid(option: string, expected: string, value: unknown): InvalidArgumentError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new InvalidArgumentError(`ClientStorage option ${option} must be ${expected}, got ${shown}`);
}

function bool(options: ClientStorageOptions, option: keyof ClientStorageOptions, fallback: boolean): boolean {
  const value = options[option];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(option, 'a boolean', value);
  return value;
}

function seconds(
  options: ClientStorageOptions,
  option: keyof ClientStorageOptions,
  fallback: number,
  allowZero: boolean,
  allowInfinity = false,
): number {
  const value = options[option];
  if (value === undefined) return fallback * 1000;
  const finite = typeof value === 'number' && (Number.isFinite(value) || (allowInfinity && value === Infinity));
  if (!finite || value < 0 || (!allowZero && value === 0)) {
    const range = allowZero ? '≥ 0' : '> 0';
    throw invalid(option, allowInfinity ? `a number of seconds ${range} (or Infinity)` : `a finite number of seconds ${range}`, value);
  }
  return value * 1000;
}

function text(options: ClientStorageOptions, option: keyof ClientStorageOptions): string | undefined {
  const value = options[option];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(option, 'a string', value);
  return value;
}

/**
 * Checks every option and fills in the defaults.
 * @throws InvalidArgumentError naming the first bad option.
 */
export function resolveClientOptions(options: ClientStorageOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('ClientStorage needs an options object');
  if (options.addresses === undefined) throw new InvalidArgumentError('ClientStorage option addresses is required (it may be empty)');
  const addresses = parseZeoAddresses(options.addresses, 'ClientStorage option addresses');
  const storage = text(options, 'storage') ?? '1';
  if (storage === '') throw invalid('storage', 'a non-empty storage name', storage);
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (typeof cacheSize !== 'number' || !Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw invalid('cacheSize', 'an integer number of bytes ≥ 0', cacheSize);
  }
  const readOnly = bool(options, 'readOnly', false);
  const readOnlyFallback = bool(options, 'readOnlyFallback', false);
  if (readOnly && readOnlyFallback) {
    throw new InvalidArgumentError('ClientStorage options readOnly and readOnlyFallback exclude each other: choose one');
  }
  const minDisconnectPollMs = seconds(options, 'minDisconnectPoll', 1, true);
  const maxDisconnectPollMs = seconds(options, 'maxDisconnectPoll', 30, true);
  if (maxDisconnectPollMs < minDisconnectPollMs) {
    throw invalid('maxDisconnectPoll', `at least minDisconnectPoll (${minDisconnectPollMs / 1000} s)`, options.maxDisconnectPoll);
  }
  if (options.reconnectPolicy !== undefined && typeof options.reconnectPolicy !== 'function') {
    throw invalid('reconnectPolicy', 'a function (attempt) => milliseconds', options.reconnectPolicy);
  }
  const encoding = options.encoding ?? CLIENT_ENCODINGS.auto;
  if (!Object.values(CLIENT_ENCODINGS).includes(encoding)) throw invalid('encoding', "'auto', 'msgpack' or 'pickle'", encoding);
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 0xffff_ffff) {
    throw invalid('maxFrameBytes', 'an integer from 1 to 4294967295', maxFrameBytes);
  }
  if (options.conflictResolver !== undefined && typeof options.conflictResolver !== 'function') {
    throw invalid('conflictResolver', 'a function', options.conflictResolver);
  }
  const logger = options.logger ?? silentLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function') {
    throw invalid('logger', 'a pino-style logger', logger);
  }
  const name = text(options, 'name');
  return {
    addresses,
    storage,
    cacheSize,
    readOnly,
    readOnlyFallback,
    wait: bool(options, 'wait', true),
    waitTimeoutMs: seconds(options, 'waitTimeout', 30, true, true),
    minDisconnectPollMs,
    maxDisconnectPollMs,
    reconnectPolicy: options.reconnectPolicy ?? exponentialBackoff(minDisconnectPollMs, maxDisconnectPollMs),
    connectTimeoutMs: seconds(options, 'connectTimeout', 10, false),
    heartbeatIntervalMs: seconds(options, 'heartbeatInterval', 60, false),
    name: name !== undefined && name !== '' ? name : addresses.length > 0 ? addresses.map((a) => a.label).join(', ') : 'ZEO client',
    clientLabel: text(options, 'clientLabel'),
    encoding,
    maxFrameBytes,
    conflictResolver: options.conflictResolver,
    logger,
  };
}
