/**
 * ZODB's `get_pickle_metadata` shortcut: the class named by a record's class
 * pickle, read without unpickling, for error messages only.
 */

const PROTO = 0x80;
const GLOBAL = 0x63; // 'c'
const MARK = 0x28; // '('
const NEWLINE = 0x0a;

/**
 * The `module.Name` of the class a record's class pickle starts with, or
 * `undefined` when the record does not start with a plain `GLOBAL` (other
 * forms need a real unpickler).
 */
export function recordClassName(record: Buffer): string | undefined {
  let pos = 0;
  if (record[pos] === PROTO) pos += 2;
  if (record[pos] === MARK) pos += 1;
  if (record[pos] !== GLOBAL) return undefined;
  const moduleEnd = record.indexOf(NEWLINE, pos + 1);
  if (moduleEnd < 0) return undefined;
  const nameEnd = record.indexOf(NEWLINE, moduleEnd + 1);
  if (nameEnd < 0) return undefined;
  const moduleName = record.toString('latin1', pos + 1, moduleEnd);
  const className = record.toString('latin1', moduleEnd + 1, nameEnd);
  return `${moduleName}.${className}`;
}
