/**
 * ZConfig's `$` substitution: `$name` and `${name}` from `%define`d
 * variables, `$(NAME)` from the environment, `$$` for a literal `$`.
 */
import { ConfigSyntaxError } from './errors.js';

/** Where `$(NAME)` looks names up. */
export type EnvironmentLookup = Readonly<Record<string, string | undefined>>;

const NAME_AT = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Whether `text` is a legal substitution name (`[A-Za-z_][A-Za-z0-9_]*`). */
export function isSubstitutionName(text: string): boolean {
  NAME_AT.lastIndex = 0;
  return NAME_AT.test(text) && NAME_AT.lastIndex === text.length;
}

function nameAt(text: string, index: number): string | undefined {
  NAME_AT.lastIndex = index;
  const match = NAME_AT.exec(text);
  return match?.[0];
}

/**
 * Replaces every `$` reference in `text`. Replacement text is inserted as is,
 * never scanned again. Throws {@link ConfigSyntaxError} (without a location;
 * the parser adds it) for a malformed reference or an unknown name.
 *
 * @param defines - the `%define`d variables, names lower-cased
 * @param env - the environment for `$(NAME)`, normally `process.env`
 */
export function substitute(text: string, defines: ReadonlyMap<string, string>, env: EnvironmentLookup): string {
  let dollar = text.indexOf('$');
  if (dollar < 0) return text;
  const parts: string[] = [];
  let start = 0;
  while (dollar >= 0) {
    parts.push(text.slice(start, dollar));
    const next = text[dollar + 1];
    if (next === undefined) throw new ConfigSyntaxError("illegal lone '$' at end of source");
    if (next === '$') {
      parts.push('$');
      start = dollar + 2;
    } else if (next === '{' || next === '(') {
      const close = next === '{' ? '}' : ')';
      const name = nameAt(text, dollar + 2);
      if (name === undefined) throw new ConfigSyntaxError(`'$${next}' not followed by name`);
      const end = dollar + 2 + name.length;
      if (text[end] !== close) throw new ConfigSyntaxError(`'$${next}${name}' not followed by '${close}'`);
      parts.push(next === '{' ? lookupDefine(name, defines) : lookupEnvironment(name, env));
      start = end + 1;
    } else {
      const name = nameAt(text, dollar + 1);
      if (name === undefined) throw new ConfigSyntaxError("'$' not followed by '$' or name");
      parts.push(lookupDefine(name, defines));
      start = dollar + 1 + name.length;
    }
    dollar = text.indexOf('$', start);
  }
  parts.push(text.slice(start));
  return parts.join('');
}

function lookupDefine(name: string, defines: ReadonlyMap<string, string>): string {
  const value = defines.get(name.toLowerCase());
  if (value === undefined) throw new ConfigSyntaxError(`no replacement for '${name}' (not %define'd before use)`);
  return value;
}

function lookupEnvironment(name: string, env: EnvironmentLookup): string {
  const value = env[name];
  if (value === undefined) throw new ConfigSyntaxError(`no replacement for '${name}' (environment variable not set)`);
  return value;
}
