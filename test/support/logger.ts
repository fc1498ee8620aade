// A Logger that records what it is told, for asserting on log lines.
import type { Logger } from '../../src/logger.js';

export interface RecordingLogger extends Logger {
  readonly debugs: string[];
  readonly infos: string[];
  readonly warnings: string[];
  readonly errors: string[];
}

export function quietLogger(): RecordingLogger {
  const debugs: string[] = [];
  const infos: string[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const into =
    (lines: string[]) =>
    (first: string | Record<string, unknown>, message?: string): void => {
      lines.push(typeof first === 'string' ? first : (message ?? ''));
    };
  return { debugs, infos, warnings, errors, debug: into(debugs), info: into(infos), warn: into(warnings), error: into(errors) };
}
