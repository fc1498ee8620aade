// Loggers that record what they are told, for asserting on log lines.
import type { Logger } from '../../src/logger.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps every call, in order, with its level and fields. */
export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (first: string | Record<string, unknown>, second?: string): void => {
      if (typeof first === 'string') entries.push({ level, message: first, fields: {} });
      else entries.push({ level, message: second ?? '', fields: first });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface RecordingLogger extends Logger {
  readonly debugs: string[];
  readonly infos: string[];
  readonly warnings: string[];
  readonly errors: string[];
}

/** A recording logger whose messages are read by level. */
export function quietLogger(): RecordingLogger {
  const recorder = recordingLogger();
  const messages = (level: LogEntry['level']): string[] =>
    recorder.entries.filter((entry) => entry.level === level).map((entry) => entry.message);
  return {
    debug: recorder.debug,
    info: recorder.info,
    warn: recorder.warn,
    error: recorder.error,
    get debugs() {
      return messages('debug');
    },
    get infos() {
      return messages('info');
    },
    get warnings() {
      return messages('warn');
    },
    get errors() {
      return messages('error');
    },
  };
}
