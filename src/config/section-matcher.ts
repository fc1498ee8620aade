/**
 * Applies a section schema to a parsed section, as ZConfig's matcher does:
 * keys are case-insensitive and checked against the schema, single-valued
 * keys appear at most once, required keys and sections must be present,
 * defaults are converted with the key's datatype, nested sections go to the
 * slot that accepts their type. Schemas are declared as data
 * ({@link key}, {@link multiKey}, {@link slot}) and the result is typed from
 * the declaration.
 */
import type { ConfigDocument, ConfigSection, ConfigValue, SourceLocation } from './config-tree.js';
import type { Datatype } from './datatypes.js';
import { quote } from './datatypes.js';
import { ConfigError, ConfigSchemaError, ConfigValueError } from './errors.js';
import { checkImports, isAbstractSectionType, isKnownSectionType, unsupportedTypeReason } from './package-registry.js';

/** Something the configuration asks for that zkzeo accepts but does not act on. */
export interface ConfigWarning {
  /** What is ignored and why. */
  readonly message: string;
  /** Where it was written. */
  readonly location: SourceLocation;
}

/** What a schema needs while it is applied to one document. */
export interface MatchContext {
  /** The parsed document. */
  readonly document: ConfigDocument;
  /** Packages the schema provides without `%import`. */
  readonly basePackages: ReadonlySet<string>;
  /** Collected warnings about accepted-but-ignored settings. */
  readonly warnings: ConfigWarning[];
}

/** The declaration of one key. `Out` is the type the key's value takes in the result. */
export interface KeySpec<Out> {
  /** Converts each value. */
  readonly datatype: Datatype<unknown>;
  /** Whether the key may repeat (a ZConfig multikey); the result is then an array. */
  readonly multi: boolean;
  /** Whether at least one value is required. */
  readonly required: boolean;
  /** The default, in configuration syntax, converted with the datatype. */
  readonly defaultText: string | undefined;
  /** When set, giving the key adds a warning with this reason (the value is still checked). */
  readonly unsupported: string | undefined;
  /** Never set: carries the result type. */
  readonly resultType?: Out;
}

/** Options of {@link key}. */
export interface KeyOptions {
  /** Required key without default. */
  readonly required?: boolean;
  /** Default in configuration syntax. */
  readonly default?: string;
  /** Accepted but ignored; the reason is reported as a warning when the key is given. */
  readonly unsupported?: string;
}

/** Declares a single-valued key with a default: the result always has a value. */
export function key<T>(datatype: Datatype<T>, options: KeyOptions & { readonly default: string }): KeySpec<T>;
/** Declares a required single-valued key. */
export function key<T>(datatype: Datatype<T>, options: KeyOptions & { readonly required: true }): KeySpec<T>;
/** Declares an optional single-valued key without default: `undefined` when absent. */
export function key<T>(datatype: Datatype<T>, options?: KeyOptions): KeySpec<T | undefined>;
export function key<T>(datatype: Datatype<T>, options: KeyOptions = {}): KeySpec<T | undefined> {
  return {
    datatype,
    multi: false,
    required: options.required ?? false,
    defaultText: options.default,
    unsupported: options.unsupported,
  };
}

/** Declares a key that may repeat; the result is the list of values in order. */
export function multiKey<T>(datatype: Datatype<T>, options: { readonly required?: boolean } = {}): KeySpec<T[]> {
  return { datatype, multi: true, required: options.required ?? false, defaultText: undefined, unsupported: undefined };
}

/** A concrete section type that can appear in a slot, and how to build its result. */
export interface SectionType<T> {
  /** The type name, lower-case, e.g. `filestorage`. */
  readonly name: string;
  /** The package that must be `%import`ed for the type to exist, unless the schema provides it. */
  readonly packageName?: string;
  /** Builds the typed result from a section of this type. */
  build(section: ConfigSection, context: MatchContext): T;
}

/** The declaration of a place where sections go. `Out` is the list type in the result. */
export interface SlotSpec<Out> {
  /** The section types accepted, by name. */
  readonly types: Readonly<Record<string, SectionType<unknown>>>;
  /** Minimum number of sections. */
  readonly min: number;
  /** Maximum number of sections. */
  readonly max: number;
  /** How messages name the slot, e.g. `storage section`. */
  readonly label: string;
  /** Never set: carries the result type. */
  readonly resultType?: Out;
}

type BuiltBy<X> = X extends SectionType<infer T> ? T : never;

/** Declares a slot that accepts sections of the given types. */
export function slot<const M extends Readonly<Record<string, SectionType<unknown>>>>(
  types: M,
  options: { readonly min?: number; readonly max?: number; readonly label: string },
): SlotSpec<Array<BuiltBy<M[keyof M]>>> {
  return { types, min: options.min ?? 0, max: options.max ?? Number.POSITIVE_INFINITY, label: options.label };
}

/** Keys by name (lower-case, as in the reference schema). */
export type KeyTable = Readonly<Record<string, KeySpec<unknown>>>;
/** Slots by an arbitrary attribute name. */
export type SlotTable = Readonly<Record<string, SlotSpec<unknown>>>;

/** A section's declaration. */
export interface SectionSpec<K extends KeyTable, S extends SlotTable> {
  /** The keys. */
  readonly keys: K;
  /** The slots for nested sections. */
  readonly slots: S;
  /** Extra words for particular unknown keys, e.g. where such a key does exist. */
  readonly keyHints?: Readonly<Record<string, string>>;
}

/** The result of {@link matchSection}. */
export interface MatchedSection<K extends KeyTable, S extends SlotTable> {
  /** The converted values (defaults applied). */
  readonly values: { readonly [P in keyof K]: K[P] extends KeySpec<infer O> ? O : never };
  /** Where each key was given, in order (empty when absent). */
  readonly locations: { readonly [P in keyof K]: readonly SourceLocation[] };
  /** The built nested sections per slot. */
  readonly slots: { readonly [P in keyof S]: S[P] extends SlotSpec<infer O> ? O : never };
}

/** How messages name a section: `<filestorage main>`, or `the top level`. */
export function describeSection(section: ConfigSection): string {
  if (section.type === '') return 'the top level';
  return section.name === undefined ? `<${section.type}>` : `<${section.type} ${section.name}>`;
}

const BASIC_KEY = /^[a-zA-Z][-._a-zA-Z0-9]*$/;

/** Applies `spec` to `section`; throws a {@link ConfigError} naming the file and line of the first problem. */
export function matchSection<K extends KeyTable, S extends SlotTable>(
  section: ConfigSection,
  spec: SectionSpec<K, S>,
  context: MatchContext,
): MatchedSection<K, S> {
  const where = describeSection(section);
  const given = collectKeys(section, spec, where);
  const slots = buildSlots(section, spec.slots, context, where);
  const values: Record<string, unknown> = {};
  const locations: Record<string, readonly SourceLocation[]> = {};
  // Where a section-level problem is reported: the start tag, or the end of the file for the top level.
  const sectionLocation = section.type === '' ? section.endLocation : section.location;
  for (const [name, keySpec] of Object.entries(spec.keys)) {
    const occurrences = given.get(name) ?? [];
    locations[name] = occurrences.map((value) => value.location);
    if (occurrences.length === 0 && keySpec.required) {
      throw new ConfigSchemaError(`missing required key '${name}' in ${where}`, sectionLocation);
    }
    const converted = occurrences.map((value) => convert(value, keySpec, name, where));
    if (keySpec.multi) {
      values[name] = converted;
    } else if (occurrences.length > 0) {
      values[name] = converted[0];
    } else {
      values[name] = keySpec.defaultText === undefined ? undefined : keySpec.datatype(keySpec.defaultText);
    }
    const first = occurrences[0];
    if (first && keySpec.unsupported !== undefined) {
      context.warnings.push({ message: `'${name}' in ${where} is ignored: ${keySpec.unsupported}`, location: first.location });
    }
  }
  return {
    values: values as MatchedSection<K, S>['values'],
    locations: locations as MatchedSection<K, S>['locations'],
    slots: slots as MatchedSection<K, S>['slots'],
  };
}

/** Groups the section's values by lower-cased key, rejecting malformed, unknown and repeated keys. */
function collectKeys(section: ConfigSection, spec: SectionSpec<KeyTable, SlotTable>, where: string): Map<string, ConfigValue[]> {
  const given = new Map<string, ConfigValue[]>();
  for (const value of section.values) {
    if (!BASIC_KEY.test(value.key)) {
      const hint = /[=:]/.test(value.key) ? " (separate the key from its value with spaces; ZConfig has no '=' or ':')" : '';
      throw new ConfigSchemaError(`not a valid key name: ${quote(value.key)}${hint}`, value.location);
    }
    const name = value.key.toLowerCase();
    const keySpec = spec.keys[name];
    if (keySpec === undefined) {
      throw new ConfigSchemaError(`unknown key '${value.key}' in ${where}${unknownKeyHint(name, spec)}`, value.location);
    }
    const previous = given.get(name);
    if (previous === undefined) {
      given.set(name, [value]);
    } else if (keySpec.multi) {
      previous.push(value);
    } else {
      const firstLine = previous[0]?.location.line;
      throw new ConfigSchemaError(
        `'${name}' in ${where} does not support multiple values (first given at line ${firstLine})`,
        value.location,
      );
    }
  }
  return given;
}

function unknownKeyHint(name: string, spec: SectionSpec<KeyTable, SlotTable>): string {
  const hint = spec.keyHints?.[name];
  if (hint !== undefined) return ` (${hint})`;
  if (name.length < 4) return '';
  const close = Object.keys(spec.keys).find((known) => editDistance(known, name) <= 2);
  return close === undefined ? '' : ` (did you mean '${close}'?)`;
}

function convert(value: ConfigValue, keySpec: KeySpec<unknown>, name: string, where: string): unknown {
  try {
    return keySpec.datatype(value.value);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigValueError(`invalid value for '${name}' in ${where}: ${error.reason}`, value.location, { cause: error });
  }
}

function buildSlots(section: ConfigSection, slots: SlotTable, context: MatchContext, where: string): Record<string, unknown[]> {
  const built: Record<string, unknown[]> = {};
  const counts = new Map<string, ConfigSection[]>();
  const names = new Map<string, ConfigSection>();
  for (const attribute of Object.keys(slots)) built[attribute] = [];
  for (const child of section.sections) {
    const [attribute, slotSpec, sectionType] = findSlot(child, slots, context, where);
    if (child.name !== undefined) {
      const other = names.get(child.name);
      if (other) {
        throw new ConfigSchemaError(
          `section names must not be re-used within the same container: '${child.name}' (also used at line ${other.location.line})`,
          child.location,
        );
      }
      names.set(child.name, child);
    }
    const siblings = counts.get(attribute) ?? [];
    if (siblings.length >= slotSpec.max) {
      const first = siblings[0];
      const extra = first ? ` (the first is at ${first.location.file}:${first.location.line})` : '';
      throw new ConfigSchemaError(
        `too many instances of '${child.type}' section in ${where}: at most ${slotSpec.max} ${slotSpec.label} allowed${extra}`,
        child.location,
      );
    }
    siblings.push(child);
    counts.set(attribute, siblings);
    built[attribute]?.push(sectionType.build(child, context));
  }
  for (const [attribute, slotSpec] of Object.entries(slots)) {
    const found = counts.get(attribute)?.length ?? 0;
    if (found < slotSpec.min) {
      const types = Object.keys(slotSpec.types).map((type) => `<${type}>`).join(', ');
      throw new ConfigSchemaError(
        `not enough ${slotSpec.label}s in ${where}: ${found} found, ${slotSpec.min} required (${types})`,
        section.type === '' ? section.endLocation : section.location,
      );
    }
  }
  return built;
}

function findSlot(
  child: ConfigSection,
  slots: SlotTable,
  context: MatchContext,
  where: string,
): [string, SlotSpec<unknown>, SectionType<unknown>] {
  for (const [attribute, slotSpec] of Object.entries(slots)) {
    const sectionType = slotSpec.types[child.type];
    if (sectionType === undefined) continue;
    const needed = sectionType.packageName;
    if (needed !== undefined && !isImported(needed, child.sequence, context)) {
      throw new ConfigSchemaError(`unknown type name: '${child.type}' (it needs '%import ${needed}' before it)`, child.location);
    }
    return [attribute, slotSpec, sectionType];
  }
  if (isAbstractSectionType(child.type)) {
    throw new ConfigSchemaError(
      `concrete sections cannot match abstract section types; found abstract type '${child.type}'`,
      child.location,
    );
  }
  const unsupported = unsupportedTypeReason(child.type);
  if (unsupported !== undefined) {
    throw new ConfigSchemaError(`section type '${child.type}' is not supported: ${unsupported}`, child.location);
  }
  if (isKnownSectionType(child.type)) {
    throw new ConfigSchemaError(`a <${child.type}> section is not allowed in ${where}`, child.location);
  }
  throw new ConfigSchemaError(`unknown type name: '${child.type}'`, child.location);
}

function isImported(packageName: string, sequence: number, context: MatchContext): boolean {
  if (context.basePackages.has(packageName)) return true;
  return context.document.imports.some((directive) => directive.packageName === packageName && directive.sequence < sequence);
}

/** Levenshtein distance, for "did you mean" hints on short key names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Starts applying a schema to `document`: checks its `%import`s and returns a fresh context. */
export function createMatchContext(document: ConfigDocument, basePackages: readonly string[]): MatchContext {
  checkImports(document);
  return { document, basePackages: new Set(basePackages), warnings: [] };
}
