/**
 * The parser for zc.zk's tree text (`zc.zk.parse_tree`, used by
 * `import_tree`):
 *
 * ```text
 * /lb : ipvs                  node `lb` with property type = 'ipvs'
 *   /pools
 *     /cms
 *       # a comment
 *       address = '1.2.3.4:80'      property (a Python literal)
 *       providers -> /cms/providers symbolic link
 *       threads => /fooservice threads   property link
 * ```
 *
 * Lines are matched the way zc.zk matches them, in its order (property
 * link, property, link, node), with its regular expressions (ASCII
 * whitespace only), so the same text means the same thing; e.g. `a='b=c'`
 * is refused as zc.zk refuses it, because the name runs up to the last `=`
 * that can start a value. Indentation follows zc.zk's stack rule: a deeper
 * line opens a level under the previous node, a shallower one must return
 * exactly to an enclosing level.
 */
import { PythonLiteralError, TreeSyntaxError, TreeSyntaxErrorKind } from './errors.js';
import { nodeDataEntries, rawStringValue } from './node-data.js';
import { PropertyLink } from './property-link.js';
import { type PropertyValue, isPropertyDict } from './property-value.js';
import { parsePythonLiteral } from './python-literal.js';
import { LINK_SUFFIX, PROPERTY_LINK_SUFFIX, TreeNode } from './tree-node.js';

// Python 2 `\s`, `\S` and `.` on byte strings.
const S = '[ \\t\\n\\r\\f\\v]';
const N = '[^ \\t\\n\\r\\f\\v]';
const ANY = '[^\\n]';
const NODE_LINE = new RegExp(`^/(${N}+)(?:${S}*:${S}*(${N}${ANY}*))?$`);
const PROPERTY_LINE = new RegExp(`^(${N}+)${S}*=${S}*(${N}${ANY}*)$`);
const LINK_LINE = new RegExp(`^(${N}+)${S}*->${S}*(${N}+)$`);
// zc.zk's export of a property link: `name => = u'path name'`.
const EXPORTED_PROPERTY_LINK_LINE = new RegExp(`^(${N}+)${S}*=>${S}*=${S}*(${N}${ANY}*)$`);
const PROPERTY_LINK_LINE = new RegExp(`^(${N}+)${S}*=>${S}*(${N}+(?:${S}+${N}+)?)(?:${S}+(/${N}+))?$`);
const LEADING = /^[ \t\n\r\f\v]*/;
const TRAILING = /[ \t\n\r\f\v]*$/;

/** What one line holds, before it is placed in the tree. */
type LineData =
  | { readonly kind: 'node'; readonly node: TreeNode }
  | { readonly kind: 'entry'; readonly key: string; readonly apply: (node: TreeNode) => void };

interface Line {
  readonly number: number;
  readonly text: string;
  readonly indent: number;
}

function syntaxError(
  line: Line,
  kind: TreeSyntaxErrorKind,
  reason: string,
  column = line.indent + 1,
  cause?: unknown,
): TreeSyntaxError {
  return new TreeSyntaxError({ kind, line: line.number, column, lineText: line.text, reason, cause });
}

/**
 * zc.zk exports a property link as if it were a property holding the link
 * value (`threads => = u'/fooservice threads'`), a line its own parser then
 * misreads (as a link to the path `=`, or as a bad value). Read it back as
 * the link it came from; zc.zk could not have meant anything else by it.
 */
function readExportedPropertyLink(stripped: string): LineData | undefined {
  const m = EXPORTED_PROPERTY_LINK_LINE.exec(stripped);
  if (!m) return undefined;
  let value: PropertyValue;
  try {
    value = parsePythonLiteral(m[2] ?? '');
  } catch {
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  const name = m[1] ?? '';
  const link = new PropertyLink(value);
  return { kind: 'entry', key: name + PROPERTY_LINK_SUFFIX, apply: (n) => n.propertyLinks.set(name, link) };
}

/** Match one stripped line against zc.zk's line forms, in zc.zk's order. */
function readLine(line: Line, stripped: string): LineData {
  const exported = readExportedPropertyLink(stripped);
  if (exported !== undefined) return exported;
  let m = PROPERTY_LINK_LINE.exec(stripped);
  if (m) {
    const name = m[1] ?? '';
    const link = new PropertyLink(m[2] ?? '');
    // zc.zk drops a third `/word` (its unused `pname` group).
    return { kind: 'entry', key: name + PROPERTY_LINK_SUFFIX, apply: (n) => n.propertyLinks.set(name, link) };
  }
  m = PROPERTY_LINE.exec(stripped);
  if (m) {
    const name = m[1] ?? '';
    const expr = m[2] ?? '';
    let value: PropertyValue;
    try {
      value = parsePythonLiteral(expr);
    } catch (error) {
      if (!(error instanceof PythonLiteralError)) throw error;
      const column = line.indent + stripped.length - expr.length + error.column;
      throw syntaxError(line, TreeSyntaxErrorKind.badValue, `bad value ${JSON.stringify(expr)}: ${error.reason}`, column, error);
    }
    return { kind: 'entry', key: name, apply: (n) => n.properties.set(name, value) };
  }
  m = LINK_LINE.exec(stripped);
  if (m) {
    const name = m[1] ?? '';
    const target = m[2] ?? '';
    return { kind: 'entry', key: name + LINK_SUFFIX, apply: (n) => n.links.set(name, target) };
  }
  m = NODE_LINE.exec(stripped);
  if (m) {
    const node = new TreeNode(m[1] ?? '', line.number);
    if (m[2] !== undefined) {
      node.properties.set('type', m[2]);
      node.lines.set('type', line.number);
    }
    return { kind: 'node', node };
  }
  if (stripped.includes('->')) throw syntaxError(line, TreeSyntaxErrorKind.badLink, 'bad link format');
  throw syntaxError(line, TreeSyntaxErrorKind.unrecognized, 'unrecognized line');
}

function containsBytes(value: PropertyValue): boolean {
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(containsBytes);
  if (value !== null && isPropertyDict(value)) return Object.values(value).some(containsBytes);
  return false;
}

/**
 * zc.zk's `import_tree` would fail on `json.dumps` for a byte string that is
 * not UTF-8, unless it is a node's only entry (`string_value`, written raw).
 * Report that at parse time, naming the property's line.
 */
function checkStorable(node: TreeNode, lineTexts: readonly string[]): void {
  const entries = nodeDataEntries(node);
  if (rawStringValue(entries) === undefined) {
    for (const [key, value] of node.properties) {
      if (!containsBytes(value)) continue;
      const lineNumber = node.lines.get(key) ?? node.line ?? 0;
      const text = lineTexts[lineNumber - 1] ?? '';
      const line = { number: lineNumber, text, indent: text.length - text.replace(LEADING, '').length };
      throw syntaxError(
        line,
        TreeSyntaxErrorKind.notStorable,
        `property ${JSON.stringify(key)} is a byte string that is not UTF-8, which cannot be stored as JSON`,
      );
    }
  }
  for (const child of node.children.values()) checkStorable(child, lineTexts);
}

/**
 * Parse tree text into a root {@link TreeNode} (empty name) whose children
 * are the top-level nodes. The whole text is checked first: any malformed
 * line throws a {@link TreeSyntaxError} naming its line and column.
 *
 * Property values are Python literals (see {@link parsePythonLiteral});
 * zc.zk accepts any Python expression there, this parser only literals.
 * Unlike zc.zk, it reads zc.zk's own export of a property link
 * (`name => = u'path name'`) back as that link, so exported text imports
 * unchanged.
 */
export function parseTree(text: string): TreeNode {
  const root = new TreeNode();
  // zc.zk's stack of (indent, node or entry); the root sits at indent -1.
  const stack: { indent: number; data: TreeNode | string }[] = [{ indent: -1, data: root }];
  const topIndent = (): number => stack[stack.length - 1]?.indent ?? -1;
  const lineTexts = text.split('\n');
  lineTexts.forEach((raw, index) => {
    const rstripped = raw.replace(TRAILING, '');
    if (rstripped === '') return;
    const stripped = rstripped.replace(LEADING, '');
    if (stripped.startsWith('#')) return;
    const line: Line = { number: index + 1, text: raw.replace(/\r$/, ''), indent: rstripped.length - stripped.length };
    const data = readLine(line, stripped);
    const item = data.kind === 'node' ? data.node : data.key;

    if (line.indent > topIndent()) {
      if (!(stack[stack.length - 1]?.data instanceof TreeNode)) {
        throw syntaxError(line, TreeSyntaxErrorKind.indentUnderProperty, "can't indent under a property or link");
      }
      stack.push({ indent: line.indent, data: item });
    } else {
      while (line.indent < topIndent()) stack.pop();
      if (line.indent > topIndent()) {
        throw syntaxError(line, TreeSyntaxErrorKind.badIndentation, 'invalid indentation (matches no enclosing level)');
      }
    }

    // The root (indent -1) is never popped, so there is always a parent here.
    const parent = stack[stack.length - 2]?.data;
    if (!(parent instanceof TreeNode)) return;
    if (data.kind === 'node') {
      if (parent.children.has(data.node.name)) {
        throw syntaxError(line, TreeSyntaxErrorKind.duplicateNode, `duplicate node ${JSON.stringify(data.node.name)}`);
      }
      parent.children.set(data.node.name, data.node);
      stack[stack.length - 1] = { indent: line.indent, data: data.node };
    } else {
      if (parent === root) {
        throw syntaxError(line, TreeSyntaxErrorKind.propertyAboveNodes, "can't have properties or links above the top-level nodes");
      }
      if (parent.lines.has(data.key)) {
        throw syntaxError(line, TreeSyntaxErrorKind.duplicateProperty, `duplicate property ${JSON.stringify(data.key)}`);
      }
      data.apply(parent);
      parent.lines.set(data.key, line.number);
    }
  });
  checkStorable(root, lineTexts);
  return root;
}
