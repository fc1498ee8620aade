/**
 * The writer for zc.zk's tree text, producing what `export_tree` prints for
 * the same nodes:
 *
 * - `/name` or `/name : type` (a non-empty string `type` property moves into
 *   the header; an empty or false one is dropped), indented two spaces per
 *   level;
 * - then all entries in code-point order of their stored key, properties as
 *   `name = <Python 2 repr>` (a property link, key `name =>`, is one of
 *   them: `name => = u'/path name'`), followed by the links as
 *   `name -> target`;
 * - then the children in name order;
 * - node data that is not JSON as `string_value = '<bytes>'`.
 */
import { rawStringValue, nodeDataEntries, STRING_VALUE } from './node-data.js';
import { PythonFloat, type PropertyValue } from './property-value.js';
import { compareCodePoints } from './python2-ordering.js';
import {
  DictOrder,
  type PythonReprOptions,
  formatBytesRepr,
  formatPythonRepr,
  formatPythonStr,
} from './python-repr.js';
import { LINK_SUFFIX, PROPERTY_LINK_SUFFIX, type TreeNode } from './tree-node.js';

/** How property links are written. */
export const PropertyLinkStyle = Object.freeze({
  /**
   * Exactly as zc.zk's `export_tree`: as a property holding the link value,
   * `threads => = u'/fooservice threads'`. zc.zk cannot import that line
   * back as the same link.
   */
  zcZk: 'zc.zk',
  /**
   * As written for import, `threads => /fooservice threads`, which imports
   * back unchanged. Values that cannot be written this way (empty, more than
   * two words) fall back to the zc.zk form.
   */
  arrow: 'arrow',
} as const);

/** One of the {@link PropertyLinkStyle} values. */
export type PropertyLinkStyle = (typeof PropertyLinkStyle)[keyof typeof PropertyLinkStyle];

/** Options for {@link formatTree}. */
export interface FormatTreeOptions {
  /**
   * The name to write for the top node instead of its own (zc.zk's
   * `export_tree(name=…)`). For a root (empty name) this writes a `/name`
   * line above the top-level nodes, which are then indented.
   */
  readonly name?: string;
  /**
   * How property links are written.
   * @defaultValue `'zc.zk'`
   */
  readonly propertyLinks?: PropertyLinkStyle;
  /**
   * Order of the entries of dict values.
   * @defaultValue `'python2'` (as zc.zk prints them)
   */
  readonly dictOrder?: DictOrder;
}

// The tree parser's property-link line, to check that an arrow line reads back the same.
const ARROW_LINE = /^([^ \t\n\r\f\v]+)[ \t\n\r\f\v]*=>[ \t\n\r\f\v]*([^ \t\n\r\f\v]+(?:[ \t\n\r\f\v]+[^ \t\n\r\f\v]+)?)(?:[ \t\n\r\f\v]+(\/[^ \t\n\r\f\v]+))?$/;

/** Python truthiness of a property value (zc.zk writes the type header only when it is true). */
function isTruthy(value: PropertyValue): boolean {
  if (value === null || value === false || value === 0 || value === 0n || value === '') return false;
  if (typeof value === 'number') return value !== 0;
  if (value instanceof PythonFloat) return value.value !== 0;
  if (value instanceof Uint8Array || Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function arrowLine(name: string, target: string): string | undefined {
  const line = `${name} => ${target}`;
  const m = ARROW_LINE.exec(line);
  return m && m[1] === name && m[2] === target && m[3] === undefined ? line : undefined;
}

class TreeWriter {
  readonly #out: string[] = [];
  readonly #repr: PythonReprOptions;
  readonly #arrows: boolean;

  constructor(options: FormatTreeOptions) {
    this.#repr = { dictOrder: options.dictOrder ?? DictOrder.python2 };
    this.#arrows = options.propertyLinks === PropertyLinkStyle.arrow;
  }

  text(): string {
    return `${this.#out.join('\n')}\n`;
  }

  writeRoot(root: TreeNode, name: string | undefined): void {
    let indent = '';
    if (name !== undefined) {
      this.#out.push(`/${name}`);
      indent = '  ';
    }
    this.#writeChildren(root, indent);
  }

  writeNode(node: TreeNode, indent: string, name = node.name): void {
    const entries = nodeDataEntries(node);
    const raw = rawStringValue(entries);
    let header = `${indent}/${name}`;
    const type = entries.get('type');
    if (type !== undefined && (typeof type === 'string' || !isTruthy(type))) {
      entries.delete('type');
      if (isTruthy(type)) header += ` : ${type as string}`;
    }
    // zc.zk would fail on a non-string true type; it is written as a property instead.
    this.#out.push(header);
    const inner = `${indent}  `;
    if (raw !== undefined) {
      const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
      this.#out.push(`${inner}${STRING_VALUE} = ${formatBytesRepr(bytes)}`);
    } else {
      this.#writeEntries(entries, inner);
    }
    this.#writeChildren(node, inner);
  }

  #writeEntries(entries: Map<string, PropertyValue>, indent: string): void {
    const keys = [...entries.keys()].sort(compareCodePoints);
    const links: string[] = [];
    for (const key of keys) {
      const value = entries.get(key) ?? null;
      if (key.endsWith(LINK_SUFFIX)) {
        links.push(`${indent}${key} ${formatPythonStr(value, this.#repr)}`);
        continue;
      }
      if (this.#arrows && key.endsWith(PROPERTY_LINK_SUFFIX) && typeof value === 'string') {
        const line = arrowLine(key.slice(0, -PROPERTY_LINK_SUFFIX.length), value);
        if (line !== undefined) {
          this.#out.push(indent + line);
          continue;
        }
      }
      this.#out.push(`${indent}${key} = ${formatPythonRepr(value, this.#repr)}`);
    }
    for (const line of links) this.#out.push(line);
  }

  #writeChildren(node: TreeNode, indent: string): void {
    const names = [...node.children.keys()].sort(compareCodePoints);
    for (const name of names) {
      const child = node.children.get(name);
      if (child !== undefined) this.writeNode(child, indent, name);
    }
  }
}

/**
 * Write a tree as zc.zk's `export_tree` would (see the module description).
 * A root (empty name, as {@link parseTree} returns) writes its children as
 * the top-level nodes, like exporting `/`; any other node writes itself,
 * like exporting its path. The text ends with a newline (a root without
 * children gives `"\n"`, as zc.zk does). Throws {@link NodeDataError} for a
 * value that is no {@link PropertyValue}.
 */
export function formatTree(node: TreeNode, options: FormatTreeOptions = {}): string {
  const writer = new TreeWriter(options);
  if (node.name === '') writer.writeRoot(node, options.name);
  else writer.writeNode(node, '', options.name ?? node.name);
  return writer.text();
}
