/**
 * The ZConfig file syntax, line by line, as ZConfig's `cfgparser.py` reads
 * it: sections, key/value lines, comments and the `%define`, `%include` and
 * `%import` directives. The result is a schema-free {@link ConfigDocument}.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigDocument, ConfigSection, ConfigValue, ImportDirective, SourceLocation } from './config-tree.js';
import { ConfigError, ConfigIncludeError, ConfigSyntaxError } from './errors.js';
import { isSubstitutionName, substitute, type EnvironmentLookup } from './substitution.js';

/** The file name used in messages for text that did not come from a file. */
export const ANONYMOUS_SOURCE = '<string>';

/** Options of {@link parseZConfig}. */
export interface ZConfigParseOptions {
  /**
   * The name of the file the text came from: used in messages and as the
   * base of relative `%include` paths. Without it messages say `<string>`
   * and includes are relative to the current directory.
   */
  readonly filename?: string;
  /** Where `$(NAME)` finds environment variables. @defaultValue `process.env` */
  readonly env?: EnvironmentLookup;
}

// A run of characters other than whitespace and parentheses (ZConfig's _name_re).
const KEY_VALUE = /^([^\s()]+)\s*(\S.*)?$/;
const SECTION_HEADER = /^([^\s()]+)(?:\s+([^\s()]+))?$/;
const LINE_BREAK = /\r\n|\r|\n/;

interface MutableSection extends ConfigSection {
  readonly values: ConfigValue[];
  readonly sections: ConfigSection[];
  endLocation: SourceLocation;
}

interface OpenSection {
  readonly section: MutableSection;
  readonly parent: MutableSection;
}

/** State shared by the main file and everything it includes. */
interface ParseState {
  readonly defines: Map<string, string>;
  readonly imports: ImportDirective[];
  readonly files: string[];
  readonly env: EnvironmentLookup;
  /** Real paths of the files being parsed, outermost first, to catch include cycles. */
  readonly includeStack: string[];
  sequence: number;
}

/**
 * Parses ZConfig text into a tree of sections. Section types, section names
 * and `%define` names are lower-cased; keys are kept as written. `%include`d
 * files are read synchronously. Every error is a {@link ConfigError} whose
 * message starts with `file:line:`.
 */
export function parseZConfig(text: string, options: ZConfigParseOptions = {}): ConfigDocument {
  const file = options.filename ?? ANONYMOUS_SOURCE;
  const state: ParseState = {
    defines: new Map(),
    imports: [],
    files: [],
    env: options.env ?? process.env,
    includeStack: options.filename === undefined ? [] : [realPathOrResolved(options.filename)],
    sequence: 0,
  };
  const start = { file, line: 1 };
  const root: MutableSection = {
    type: '',
    name: undefined,
    values: [],
    sections: [],
    location: start,
    endLocation: start,
    sequence: state.sequence++,
  };
  root.endLocation = { file, line: parseSource(text, file, root, state) };
  return { root, imports: state.imports, defines: state.defines, files: state.files };
}

/** Reads a file (asynchronously) and parses it with {@link parseZConfig}; messages name the path as given. */
export async function parseZConfigFile(filename: string, options: Omit<ZConfigParseOptions, 'filename'> = {}): Promise<ConfigDocument> {
  return parseZConfig(await readConfigText(filename), { ...options, filename });
}

/** Reads a configuration file, turning a failure into a {@link ConfigIncludeError} naming the file. */
export async function readConfigText(filename: string): Promise<string> {
  try {
    return await readFile(filename, 'utf8');
  } catch (error) {
    throw new ConfigIncludeError(`cannot read configuration file '${filename}': ${describe(error)}`, undefined, { cause: error });
  }
}

/** Parses one source into `container`; returns its number of lines. */
function parseSource(text: string, file: string, container: MutableSection, state: ParseState): number {
  state.files.push(file);
  const lines = text.split(LINE_BREAK);
  // A final line break does not start another line.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const stack: OpenSection[] = [];
  let current = container;
  let lineNumber = 0;
  for (const rawLine of lines) {
    lineNumber += 1;
    const line = rawLine.trim();
    const location = { file, line: lineNumber };
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('</')) {
      if (!line.endsWith('>')) throw new ConfigSyntaxError('malformed section end', location);
      current = endSection(line.slice(2, -1), stack, location);
    } else if (line.startsWith('<')) {
      if (!line.endsWith('>')) throw new ConfigSyntaxError('malformed section start', location);
      current = startSection(line.slice(1, -1), current, stack, location, state);
    } else if (line.startsWith('%')) {
      handleDirective(line.slice(1), current, location, state);
    } else {
      const match = KEY_VALUE.exec(line);
      if (!match) throw new ConfigSyntaxError('malformed configuration data', location);
      const value = match[2] === undefined ? '' : substituteAt(match[2], location, state);
      current.values.push({ key: match[1] ?? '', value, location });
    }
  }
  const unclosed = stack[stack.length - 1];
  if (unclosed) {
    const { section } = unclosed;
    throw new ConfigSyntaxError(
      `unclosed sections not allowed: <${section.type}> opened at line ${section.location.line} has no end tag`,
      { file, line: Math.max(lineNumber, 1) },
    );
  }
  return Math.max(lineNumber, 1);
}

function startSection(
  header: string,
  parent: MutableSection,
  stack: OpenSection[],
  location: SourceLocation,
  state: ParseState,
): MutableSection {
  const isEmpty = header.endsWith('/');
  const match = SECTION_HEADER.exec((isEmpty ? header.slice(0, -1) : header).trimEnd());
  if (!match) throw new ConfigSyntaxError(`malformed section header: <${header}>`, location);
  const section: MutableSection = {
    type: (match[1] ?? '').toLowerCase(),
    name: match[2]?.toLowerCase(),
    values: [],
    sections: [],
    location,
    endLocation: location,
    sequence: state.sequence++,
  };
  parent.sections.push(section);
  if (isEmpty) return parent;
  stack.push({ section, parent });
  return section;
}

function endSection(rest: string, stack: OpenSection[], location: SourceLocation): MutableSection {
  const open = stack.pop();
  if (!open) throw new ConfigSyntaxError(`unexpected section end: </${rest}> closes nothing`, location);
  const type = rest.trimEnd().toLowerCase();
  if (type !== open.section.type) {
    throw new ConfigSyntaxError(
      `unbalanced section end: </${rest}> does not close <${open.section.type}> opened at line ${open.section.location.line}`,
      location,
    );
  }
  open.section.endLocation = location;
  return open.parent;
}

function handleDirective(rest: string, section: MutableSection, location: SourceLocation, state: ParseState): void {
  const match = KEY_VALUE.exec(rest);
  if (!match) throw new ConfigSyntaxError('missing or unrecognized directive', location);
  const name = match[1] ?? '';
  const argument = match[2];
  if (name !== 'define' && name !== 'import' && name !== 'include') {
    throw new ConfigSyntaxError(`unknown directive: '${name}'`, location);
  }
  if (argument === undefined) throw new ConfigSyntaxError(`missing argument to %${name} directive`, location);
  if (name === 'define') handleDefine(argument, location, state);
  else if (name === 'import') {
    const packageName = substituteAt(argument, location, state);
    state.imports.push({ packageName, location, sequence: state.sequence++ });
  } else handleInclude(substituteAt(argument, location, state), section, location, state);
}

function handleDefine(argument: string, location: SourceLocation, state: ParseState): void {
  const space = argument.search(/\s/);
  const rawName = space < 0 ? argument : argument.slice(0, space);
  const rawValue = space < 0 ? '' : argument.slice(space).trimStart();
  const name = rawName.toLowerCase();
  if (!isSubstitutionName(name)) throw new ConfigSyntaxError(`not a substitution legal name: '${rawName}'`, location);
  const value = substituteAt(rawValue, location, state);
  const previous = state.defines.get(name);
  if (previous !== undefined && previous !== value) {
    throw new ConfigSyntaxError(`cannot redefine '${name}' (already defined as '${previous}')`, location);
  }
  state.defines.set(name, value);
}

function handleInclude(target: string, section: MutableSection, location: SourceLocation, state: ParseState): void {
  const displayName = includedFileName(target, location);
  const resolved = path.resolve(displayName);
  let text: string;
  let real: string;
  try {
    text = readFileSync(resolved, 'utf8');
    real = realpathSync(resolved);
  } catch (error) {
    throw new ConfigIncludeError(`cannot read included file '${displayName}': ${describe(error)}`, location, { cause: error });
  }
  const cycleStart = state.includeStack.indexOf(real);
  if (cycleStart >= 0) {
    const chain = [...state.includeStack.slice(cycleStart), real].map((p) => path.basename(p)).join(' -> ');
    throw new ConfigIncludeError(`%include cycle: ${chain}`, location);
  }
  state.includeStack.push(real);
  try {
    parseSource(text, displayName, section, state);
  } finally {
    state.includeStack.pop();
  }
}

/** The name of an included file relative to the current directory (or absolute), as messages show it. */
function includedFileName(target: string, location: SourceLocation): string {
  if (target.startsWith('file:')) return fileURLToPath(target);
  if (/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(target)) {
    throw new ConfigIncludeError(`cannot include '${target}': only local files can be included`, location);
  }
  if (path.isAbsolute(target) || location.file === ANONYMOUS_SOURCE) return target;
  return path.join(path.dirname(location.file), target);
}

function substituteAt(text: string, location: SourceLocation, state: ParseState): string {
  try {
    return substitute(text, state.defines, state.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigSyntaxError(error.reason, location, { cause: error });
    throw error;
  }
}

function realPathOrResolved(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
