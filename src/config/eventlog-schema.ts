/**
 * ZConfig's logging sections as `runzeo` uses them: `<eventlog>` with
 * `<logfile>` and `<syslog>` handlers, and the logging-level datatype.
 */
import type { SourceLocation } from './config-tree.js';
import type { Datatype } from './datatypes.js';
import { boolean, byteSize, dottedName, integer, quote, string } from './datatypes.js';
import { ConfigValueError } from './errors.js';
import type { SectionType } from './section-matcher.js';
import { key, matchSection, slot } from './section-matcher.js';
import type { SocketAddress } from './socket-address.js';
import { socketAddress } from './socket-address.js';

const LEVELS: Readonly<Record<string, number>> = Object.freeze({
  critical: 50,
  fatal: 50,
  error: 40,
  warn: 30,
  warning: 30,
  info: 20,
  blather: 15,
  debug: 10,
  trace: 5,
  all: 1,
  notset: 0,
});

/** A logging level: a name (`info`, `warning`, `blather` …, any case) or an integer from 0 to 50. */
export const loggingLevel: Datatype<number> = (text) => {
  const named = LEVELS[text.toLowerCase()];
  if (named !== undefined) return named;
  const level = integer(text);
  if (level < 0 || level > 50) throw new ConfigValueError(`log level not in range: ${level}`);
  return level;
};

/** The placeholder syntax of a log format: `%`-style, `str.format`, `string.Template`, or safe `string.Template`. */
export type LogFormatStyle = 'classic' | 'format' | 'safe-template' | 'template';

const STYLES: readonly LogFormatStyle[] = ['classic', 'format', 'safe-template', 'template'];

const logFormatStyle: Datatype<LogFormatStyle> = (text) => {
  const lower = text.toLowerCase();
  const style = STYLES.find((candidate) => candidate === lower);
  if (style === undefined) {
    throw new ConfigValueError(`log_format_style must be one of ${STYLES.map((s) => quote(s)).join(', ')}; found ${quote(text)}`);
  }
  return style;
};

const FACILITIES = [
  'auth', 'authpriv', 'cron', 'daemon', 'kern', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6',
  'local7', 'lpr', 'mail', 'news', 'security', 'syslog', 'user', 'uucp',
] as const;

const syslogFacility: Datatype<string> = (text) => {
  const lower = text.toLowerCase();
  if (!(FACILITIES as readonly string[]).includes(lower)) {
    throw new ConfigValueError(`Syslog facility must be one of ${FACILITIES.join(', ')}`);
  }
  return lower;
};

// The escapes ZConfig's escaped_string understands; anything else stays as written.
const ESCAPES: Readonly<Record<string, string>> = Object.freeze({ n: '\n', t: '\t', b: '\b', f: '\f', r: '\r' });

const escapedString: Datatype<string> = (text) => text.replace(/\\([ntbfr])/g, (_, letter: string) => ESCAPES[letter] ?? letter);

const FORMATTER_UNSUPPORTED = 'it names a Python formatter class, which zkzeo cannot load';

/** The keys every handler section has. */
export interface LogHandlerOptions {
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `format`, with `\n`, `\t`, `\r`, `\b`, `\f` escapes replaced: a Python logging format. */
  readonly format: string;
  /** `dateformat`: strftime format of `asctime`. @defaultValue `'%Y-%m-%dT%H:%M:%S'` */
  readonly dateFormat: string;
  /** `level`: the handler's level (0–50). @defaultValue 0 (`notset`) */
  readonly level: number;
  /** `formatter`: a Python formatter class; accepted and ignored. */
  readonly formatter: string | undefined;
  /** `style`: placeholder syntax of `format`. @defaultValue `'classic'` */
  readonly style: LogFormatStyle;
  /** `arbitrary-fields`: allow unknown record fields in `format`. @defaultValue `false` */
  readonly arbitraryFields: boolean;
}

/** `<logfile>`: log to a file, `STDOUT` or `STDERR`. */
export interface LogFileHandlerConfig extends LogHandlerOptions {
  /** Discriminant: the section type. */
  readonly type: 'logfile';
  /** `path` (required): the file, or `STDOUT` / `STDERR`. */
  readonly path: string;
  /** `old-files`: rotated files to keep. @defaultValue `0` */
  readonly oldFiles: number;
  /** `max-size` (byte-size): rotate at this size in bytes; 0 means never. @defaultValue `0` */
  readonly maxSizeBytes: number;
  /** `when`: time-based rotation (`S`, `M`, `H`, `D`, `midnight`, `W0`–`W6`); `''` for none. @defaultValue `''` */
  readonly when: string;
  /** `interval`: rotation interval in units of `when`. @defaultValue `0` */
  readonly interval: number;
  /** `encoding`: file encoding. */
  readonly encoding: string | undefined;
  /** `delay`: open the file on the first message. @defaultValue `false` */
  readonly delay: boolean;
}

/** `<syslog>`: log to a syslog daemon. */
export interface SyslogHandlerConfig extends LogHandlerOptions {
  /** Discriminant: the section type. */
  readonly type: 'syslog';
  /** `facility`, lower-cased. @defaultValue `'user'` */
  readonly facility: string;
  /** `address` (socket-address): the syslog daemon. @defaultValue `localhost:514` */
  readonly address: SocketAddress;
}

/** A log handler section. */
export type LogHandlerConfig = LogFileHandlerConfig | SyslogHandlerConfig;

/** `<eventlog>`: the root logger. */
export interface EventLogConfig {
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `level`: the logger's level (0–50). @defaultValue 20 (`info`) */
  readonly level: number;
  /** The handler sections, in order. */
  readonly handlers: readonly LogHandlerConfig[];
}

function handlerKeys(defaultFormat: string) {
  return {
    formatter: key(dottedName, { unsupported: FORMATTER_UNSUPPORTED }),
    dateformat: key(string, { default: '%Y-%m-%dT%H:%M:%S' }),
    level: key(loggingLevel, { default: 'notset' }),
    style: key(logFormatStyle, { default: 'classic' }),
    'arbitrary-fields': key(boolean, { default: 'false' }),
    format: key(escapedString, { default: defaultFormat }),
  } as const;
}

const LOGFILE_SPEC = {
  keys: {
    ...handlerKeys('------\\n%(asctime)s %(levelname)s %(name)s %(message)s'),
    path: key(string, { required: true }),
    'old-files': key(integer, { default: '0' }),
    'max-size': key(byteSize, { default: '0' }),
    when: key(string, { default: '' }),
    interval: key(integer, { default: '0' }),
    encoding: key(string),
    delay: key(boolean, { default: 'false' }),
  },
  slots: {},
} as const;

const SYSLOG_SPEC = {
  keys: {
    ...handlerKeys('%(name)s %(message)s'),
    facility: key(syslogFacility, { default: 'user' }),
    address: key(socketAddress, { default: 'localhost:514' }),
  },
  slots: {},
} as const;

/** The keys every handler section has, as typed options. */
function commonHandlerOptions(
  values: {
    format: string;
    dateformat: string;
    level: number;
    formatter: string | undefined;
    style: LogFormatStyle;
    'arbitrary-fields': boolean;
  },
  location: SourceLocation,
): LogHandlerOptions {
  return {
    location,
    format: values.format,
    dateFormat: values.dateformat,
    level: values.level,
    formatter: values.formatter,
    style: values.style,
    arbitraryFields: values['arbitrary-fields'],
  };
}

const logFileType: SectionType<LogFileHandlerConfig> = {
  name: 'logfile',
  packageName: 'ZConfig.components.logger',
  build(section, context) {
    const { values } = matchSection(section, LOGFILE_SPEC, context);
    return {
      type: 'logfile',
      ...commonHandlerOptions(values, section.location),
      path: values.path,
      oldFiles: values['old-files'],
      maxSizeBytes: values['max-size'],
      when: values.when,
      interval: values.interval,
      encoding: values.encoding,
      delay: values.delay,
    };
  },
};

const syslogType: SectionType<SyslogHandlerConfig> = {
  name: 'syslog',
  packageName: 'ZConfig.components.logger',
  build(section, context) {
    const { values } = matchSection(section, SYSLOG_SPEC, context);
    return {
      type: 'syslog',
      ...commonHandlerOptions(values, section.location),
      facility: values.facility,
      address: values.address,
    };
  },
};

const EVENTLOG_SPEC = {
  keys: { level: key(loggingLevel, { default: 'info' }) },
  slots: { handlers: slot({ logfile: logFileType, syslog: syslogType }, { label: 'log handler section' }) },
} as const;

/** `<eventlog>` (ZConfig's logger component). */
export const eventLogType: SectionType<EventLogConfig> = {
  name: 'eventlog',
  packageName: 'ZConfig.components.logger',
  build(section, context) {
    const { values, slots } = matchSection(section, EVENTLOG_SPEC, context);
    return { location: section.location, level: values.level, handlers: slots.handlers };
  },
};
