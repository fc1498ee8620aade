import { BadPropertyLinkError } from './errors.js';

/** The parts of a property link value: the linked node and property. */
export interface PropertyLinkParts {
  /** Path of the node holding the property, possibly relative (`..`, `c`). */
  readonly path: string;
  /** The property's name there, or undefined to use the referring name. */
  readonly property: string | undefined;
}

// Python 2's unicode str.split() separators, which include the \x1c-\x1f separators.
// eslint-disable-next-line no-control-regex -- those control characters are the point
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * A property link: tree text `threads => /fooservice threads`, stored by
 * zc.zk as the property `"threads =>"` with the string value
 * `"/fooservice threads"`. The raw value is kept as is (zc.zk stores
 * whatever the line said and only checks it when the link is followed), so
 * a malformed value survives a round trip; {@link PropertyLink.parts}
 * checks it.
 */
export class PropertyLink {
  /** The value as stored: a path and an optional property name, separated by whitespace. */
  readonly target: string;

  /** Wrap a stored link value. */
  constructor(target: string) {
    this.target = target;
    Object.freeze(this);
  }

  /** A link to `property` (default: the referring name) of the node at `path`. */
  static to(path: string, property?: string): PropertyLink {
    return new PropertyLink(property === undefined ? path : `${path} ${property}`);
  }

  /**
   * The linked path and property name. Throws {@link BadPropertyLinkError}
   * unless the value has one or two whitespace-separated parts, the rule
   * zc.zk applies when it follows the link.
   */
  get parts(): PropertyLinkParts {
    const words = this.target.split(PY_WHITESPACE).filter((w) => w !== '');
    const [path, property, extra] = words;
    if (path === undefined || extra !== undefined) throw new BadPropertyLinkError(this.target);
    return { path, property };
  }

  /** The property name the link reads when the referring property is called `referringName`. */
  propertyFor(referringName: string): string {
    return this.parts.property ?? referringName;
  }

  /** The raw value. */
  toString(): string {
    return this.target;
  }
}
