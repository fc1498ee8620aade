/**
 * zc.zk's node data convention: a node's properties, links (`"name ->"`)
 * and property links (`"name =>"`) live together in its data as one JSON
 * object, written compactly (`{"a":1,"b ->":"/x"}`); no properties is `{}`.
 * Data that is not a JSON object is shown as the single property
 * `string_value`, and a node whose only property is a string
 * `string_value` is written as that raw string.
 */
import { NodeDataError } from './errors.js';
import { PropertyLink } from './property-link.js';
import { type PropertyValue, dictKeys, isPropertyDict } from './property-value.js';
import { parsePythonJsonBytes, stringifyPythonJsonEntries } from './python-json.js';
import { LINK_SUFFIX, type NodeContent, PROPERTY_LINK_SUFFIX, TreeNode } from './tree-node.js';

/** The property zc.zk uses for node data that is not a JSON object. */
export const STRING_VALUE = 'string_value';

/** What a node's data held, as {@link decodeNodeData} found it. */
export const NodeDataFormat = Object.freeze({
  /** No data, or only whitespace: no properties. */
  empty: 'empty',
  /** A JSON object. */
  json: 'json',
  /** Not `{…}`: the data is the `string_value` property. */
  raw: 'raw',
  /** `{…}` that is not valid JSON (zc.zk logs "bad json data in node at …"); kept as `string_value`. */
  badJson: 'badJson',
} as const);

/** One of the {@link NodeDataFormat} values. */
export type NodeDataFormat = (typeof NodeDataFormat)[keyof typeof NodeDataFormat];

/** A node's content decoded from its data. */
export interface DecodedNodeData extends NodeContent {
  /** What the data held. */
  readonly format: NodeDataFormat;
  /** For the `badJson` format: why the JSON was refused. */
  readonly error?: Error;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function isPythonSpace(byte: number | undefined): boolean {
  return byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);
}

/**
 * All entries of a node as zc.zk keys them in node data: properties, then
 * links (`"name ->"`), then property links (`"name =>"`). Throws
 * {@link NodeDataError} if two entries map to the same key.
 */
export function nodeDataEntries(content: NodeContent): Map<string, PropertyValue> {
  const entries = new Map<string, PropertyValue>(content.properties);
  const add = (key: string, value: string): void => {
    if (entries.has(key)) throw new NodeDataError(`two entries are stored under the key ${JSON.stringify(key)}`);
    entries.set(key, value);
  };
  for (const [name, target] of content.links) add(name + LINK_SUFFIX, target);
  for (const [name, link] of content.propertyLinks) add(name + PROPERTY_LINK_SUFFIX, link.target);
  return entries;
}

/**
 * Sort zc.zk-keyed entries into a node's content: string values of keys
 * ending in `' ->'` become links, of keys ending in `' =>'` property links;
 * everything else stays a property. Adds to `into` if given.
 */
export function nodeContentFromEntries<T extends NodeContent>(
  entries: Iterable<readonly [string, PropertyValue]>,
  into: T,
): T {
  for (const [key, value] of entries) {
    if (typeof value === 'string' && key.endsWith(LINK_SUFFIX)) {
      into.links.set(key.slice(0, -LINK_SUFFIX.length), value);
    } else if (typeof value === 'string' && key.endsWith(PROPERTY_LINK_SUFFIX)) {
      into.propertyLinks.set(key.slice(0, -PROPERTY_LINK_SUFFIX.length), new PropertyLink(value));
    } else {
      into.properties.set(key, value);
    }
  }
  return into;
}

function emptyContent(): NodeContent {
  return { properties: new Map(), links: new Map(), propertyLinks: new Map() };
}

function rawContent(data: Uint8Array, format: NodeDataFormat, error?: Error): DecodedNodeData {
  let value: PropertyValue;
  try {
    value = STRICT_UTF8.decode(data);
  } catch {
    value = data;
  }
  const content = emptyContent();
  content.properties.set(STRING_VALUE, value);
  return error === undefined ? { ...content, format } : { ...content, format, error };
}

/**
 * Decode a node's data as zc.zk's `decode` does. `null`/empty/whitespace →
 * no entries; data whose stripped form is `{…}` → the JSON object's entries
 * (if it parses); anything else → one `string_value` property holding the
 * whole data (a string if it is UTF-8, else the bytes).
 */
export function decodeNodeData(data: Uint8Array | null | undefined): DecodedNodeData {
  if (data == null) return { ...emptyContent(), format: NodeDataFormat.empty };
  let start = 0;
  let end = data.length;
  while (start < end && isPythonSpace(data[start])) start++;
  while (end > start && isPythonSpace(data[end - 1])) end--;
  if (start === end) return { ...emptyContent(), format: NodeDataFormat.empty };
  if (data[start] !== 0x7b || data[end - 1] !== 0x7d) return rawContent(data, NodeDataFormat.raw);
  let parsed: PropertyValue;
  try {
    parsed = parsePythonJsonBytes(data.subarray(start, end));
  } catch (error) {
    return rawContent(data, NodeDataFormat.badJson, error as Error);
  }
  if (!isPropertyDict(parsed)) return rawContent(data, NodeDataFormat.badJson);
  const entries = dictKeys(parsed).map((key): [string, PropertyValue] => [key, parsed[key] ?? null]);
  const content = nodeContentFromEntries(entries, emptyContent());
  return { ...content, format: NodeDataFormat.json };
}

/**
 * Build a tree node called `name` from node data (see {@link decodeNodeData}).
 * Children are left for the caller to add.
 */
export function treeNodeFromData(name: string, data: Uint8Array | null | undefined): TreeNode {
  const decoded = decodeNodeData(data);
  const node = new TreeNode(name);
  for (const [key, value] of decoded.properties) node.properties.set(key, value);
  for (const [key, value] of decoded.links) node.links.set(key, value);
  for (const [key, value] of decoded.propertyLinks) node.propertyLinks.set(key, value);
  return node;
}

/**
 * The raw string a node's data is written as, if its only entry is a
 * `string_value` string or bytes (zc.zk's `encode` shortcut), else undefined.
 */
export function rawStringValue(entries: ReadonlyMap<string, PropertyValue>): string | Uint8Array | undefined {
  if (entries.size !== 1) return undefined;
  const value = entries.get(STRING_VALUE);
  return typeof value === 'string' || value instanceof Uint8Array ? value : undefined;
}

/**
 * Encode a node's content as zc.zk's `encode` does: compact JSON of all
 * entries (`{}` when there are none), or the raw string when the only
 * entry is a string `string_value`. Throws {@link NodeDataError} for values
 * JSON cannot hold.
 *
 * zc.zk itself would fail on a lone non-string `string_value`; here it is
 * written as JSON, which decodes back to the same content.
 */
export function encodeNodeData(content: NodeContent): Buffer {
  const entries = nodeDataEntries(content);
  const raw = rawStringValue(entries);
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  if (raw !== undefined) return Buffer.from(raw);
  return Buffer.from(stringifyPythonJsonEntries(entries), 'utf8');
}
