import { ZkzeoError } from '../errors.js';

/**
 * Why a line of tree text was refused. The values are stable strings; the
 * comments give the wording zc.zk's `parse_tree` uses for the same case.
 */
export const TreeSyntaxErrorKind = Object.freeze({
  /** A line dedents to a column no enclosing line used ("Invalid indentation"). */
  badIndentation: 'badIndentation',
  /** A line is indented under a property or link ("Can't indent under properties"). */
  indentUnderProperty: 'indentUnderProperty',
  /** A property or link line outside any node ("Can't import properties above imported nodes."). */
  propertyAboveNodes: 'propertyAboveNodes',
  /** Two sibling nodes with the same name ("duplicate node"). */
  duplicateNode: 'duplicateNode',
  /** Two properties, links or property links with the same key in one node ("duplicate property"). */
  duplicateProperty: 'duplicateProperty',
  /** A line containing `->` that is no valid line of any kind ("Bad link format"). */
  badLink: 'badLink',
  /** A line that is no node, property or link ("Unrecognized data"). */
  unrecognized: 'unrecognized',
  /** A property value that is no Python literal zkzeo accepts ("Error … in expression"). */
  badValue: 'badValue',
  /** A value that zc.zk could not store as JSON node data (zc.zk fails later, at import). */
  notStorable: 'notStorable',
  /** Symbolic links in the text that lead round in a circle (zc.zk would accept them and loop later). */
  linkLoop: 'linkLoop',
} as const);

/** One of the {@link TreeSyntaxErrorKind} values. */
export type TreeSyntaxErrorKind = (typeof TreeSyntaxErrorKind)[keyof typeof TreeSyntaxErrorKind];

/** Position details carried by {@link TreeSyntaxError}. */
export interface TreeSyntaxErrorDetails {
  /** What was wrong. */
  readonly kind: TreeSyntaxErrorKind;
  /** 1-based line number in the tree text. */
  readonly line: number;
  /** 1-based column (in UTF-16 code units) where the problem starts. */
  readonly column: number;
  /** The offending line, without its line terminator. */
  readonly lineText: string;
  /** Short description of the problem, without the position. */
  readonly reason: string;
  /** The underlying error, e.g. a {@link PythonLiteralError}. */
  readonly cause?: unknown;
}

/**
 * Tree text (zc.zk's import format) that cannot be parsed. Names the line
 * and column; nothing is returned from a text that has any such error.
 */
export class TreeSyntaxError extends ZkzeoError {
  /** What was wrong. */
  readonly kind: TreeSyntaxErrorKind;
  /** 1-based line number in the tree text. */
  readonly line: number;
  /** 1-based column where the problem starts. */
  readonly column: number;
  /** The offending line. */
  readonly lineText: string;
  /** Short description of the problem, without the position. */
  readonly reason: string;

  /** @internal */
  constructor(details: TreeSyntaxErrorDetails) {
    super(
      'ERR_TREE_SYNTAX',
      `line ${details.line}, column ${details.column}: ${details.reason}: ${JSON.stringify(details.lineText)}`,
      { cause: details.cause },
    );
    this.kind = details.kind;
    this.line = details.line;
    this.column = details.column;
    this.lineText = details.lineText;
    this.reason = details.reason;
  }
}

/**
 * Text that is no Python literal of the kinds zc.zk property values use, or
 * a literal that cannot be stored as JSON (a set, a complex number…).
 * `line` and `column` are 1-based positions in the parsed text.
 */
export class PythonLiteralError extends ZkzeoError {
  /** 1-based line in the parsed text. */
  readonly line: number;
  /** 1-based column (UTF-16 code units) in that line. */
  readonly column: number;
  /** The problem, without the position. */
  readonly reason: string;

  /** @internal */
  constructor(reason: string, line: number, column: number) {
    super('ERR_PYTHON_LITERAL', `line ${line}, column ${column}: ${reason}`);
    this.reason = reason;
    this.line = line;
    this.column = column;
  }
}

/**
 * A value or tree that cannot be written in the requested form: a property
 * value of a type zc.zk cannot store (a function, a `Date`…), raw bytes inside
 * JSON, or two entries that map to the same node-data key.
 */
export class NodeDataError extends ZkzeoError {
  /** @internal */
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NODE_DATA', message, options);
  }
}

/**
 * A property link value (`name => path [property]`) that does not have one
 * or two whitespace-separated parts, as zc.zk requires when it follows one.
 */
export class BadPropertyLinkError extends ZkzeoError {
  /** The raw link value. */
  readonly target: string;

  /** @internal */
  constructor(target: string) {
    super(
      'ERR_BAD_PROPERTY_LINK',
      `bad property link ${JSON.stringify(target)}: expected a path and an optional property name`,
    );
    this.target = target;
  }
}

/** JSON node data that Python's `json.loads` would refuse. */
export class PythonJsonSyntaxError extends ZkzeoError {
  /** 0-based offset in the JSON text where parsing failed. */
  readonly offset: number;

  /** @internal */
  constructor(reason: string, offset: number) {
    super('ERR_PYTHON_JSON', `${reason} at offset ${offset}`);
    this.offset = offset;
  }
}

/** Following `->` links went round in a circle; `paths` is the cycle as followed. */
export class LinkLoopError extends ZkzeoError {
  /** The paths visited, ending with the one seen twice. */
  readonly paths: readonly string[];

  /** @internal */
  constructor(paths: readonly string[]) {
    super('ERR_LINK_LOOP', `symbolic links loop: ${paths.join(' -> ')}`);
    this.paths = paths;
  }
}

/** zc.zk's `FailedConnect`: ZooKeeper could not be reached at start. */
export class FailedConnectError extends ZkzeoError {
  /** The connection string that failed. */
  readonly connectionString: string;

  /** @internal */
  constructor(connectionString: string, cause: unknown) {
    super('ERR_FAILED_CONNECT', `Can't connect to ZooKeeper at '${connectionString}'`, { cause });
    this.connectionString = connectionString;
  }
}
