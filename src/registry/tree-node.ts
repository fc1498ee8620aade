import type { PropertyLink } from './property-link.js';
import type { PropertyValue } from './property-value.js';

/** The suffix zc.zk appends to a property name to store a symbolic link. */
export const LINK_SUFFIX = ' ->';
/** The suffix zc.zk appends to a property name to store a property link. */
export const PROPERTY_LINK_SUFFIX = ' =>';

/**
 * The properties, links and property links of one node: what zc.zk keeps in
 * a node's data as a single JSON object. {@link TreeNode} is one.
 */
export interface NodeContent {
  /**
   * Ordinary properties by name, including `type`. Also holds, under their
   * full key (`"x ->"`), entries read from node data whose key looks like a
   * link but whose value is not a string.
   */
  readonly properties: Map<string, PropertyValue>;
  /** Symbolic links: name (without `' ->'`) → target path, absolute or relative. */
  readonly links: Map<string, string>;
  /** Property links: name (without `' =>'`) → link. */
  readonly propertyLinks: Map<string, PropertyLink>;
}

/**
 * One node of a zc.zk tree (the model behind tree text and `export_tree`).
 * A node with an empty name is a root: a container for top-level nodes, as
 * {@link parseTree} returns.
 */
export class TreeNode implements NodeContent {
  /** The node's name (one path segment); empty for a root. */
  readonly name: string;
  /** 1-based line of the node in the text it was parsed from, if any. */
  readonly line: number | undefined;
  /** Ordinary properties by name, including `type` (see {@link NodeContent.properties}). */
  readonly properties = new Map<string, PropertyValue>();
  /** Symbolic links: name → target path. */
  readonly links = new Map<string, string>();
  /** Property links: name → link. */
  readonly propertyLinks = new Map<string, PropertyLink>();
  /** Child nodes by name. */
  readonly children = new Map<string, TreeNode>();
  /**
   * 1-based source line of each entry, keyed as zc.zk stores it: the
   * property name (`type` for a `/name : type` header), `name ->` for a
   * link, `name =>` for a property link.
   */
  readonly lines = new Map<string, number>();

  /** A node called `name` (empty for a root), parsed from `line` if given. */
  constructor(name = '', line?: number) {
    this.name = name;
    this.line = line;
  }

  /** The node's type (the `type` property) when it is a string, else undefined. */
  get type(): string | undefined {
    const type = this.properties.get('type');
    return typeof type === 'string' ? type : undefined;
  }

  /** Add (or replace) a child and return it. */
  addChild(child: TreeNode): TreeNode {
    this.children.set(child.name, child);
    return child;
  }
}
