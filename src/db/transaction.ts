/**
 * The metadata of the transaction a connection is running: user,
 * description and extension, as Python's `transaction` package sets them
 * and as storages record them.
 */
import { InvalidArgumentError } from '../errors.js';
import { encodePickle } from '../pickle/encode.js';
import type { TransactionMetaData } from '../storage/storage.js';

const MAX_METADATA_BYTES = 0xffff;

/** Metadata to give a transaction up front, see `DB.transaction`. */
export interface TransactionMetadataInit {
  /** The user, stored as given (Python's `setUser(name, path)` gives `"/ alice"`). */
  user?: string;
  /** The description. */
  description?: string;
  /** Extension items (values must be picklable). */
  extension?: Record<string, unknown>;
}

/**
 * The metadata of the current transaction of a connection
 * (`conn.transaction`). Stored with the commit; a new object is made for
 * every transaction.
 */
export class TransactionMetadata {
  /** The user, e.g. `"/ alice"`; empty by default. */
  user = '';
  /** The description; {@link TransactionMetadata.note} appends to it. */
  description = '';
  /** Extension items, pickled as a dict (nothing is stored when empty). */
  readonly extension: Record<string, unknown> = {};

  /** Metadata with the given initial values. */
  constructor(init: TransactionMetadataInit = {}) {
    if (init.user !== undefined) this.user = init.user;
    if (init.description !== undefined) this.description = init.description;
    if (init.extension !== undefined) Object.assign(this.extension, init.extension);
  }

  /** Sets the user the way Python's `transaction` does: `"<path> <name>"`. */
  setUser(name: string, path = '/'): this {
    this.user = `${path} ${name}`;
    return this;
  }

  /** Appends a line to the description (Python's `note()`, which joins with a newline). */
  note(text: string): this {
    const line = text.trim();
    this.description = this.description === '' ? line : `${this.description}\n${line}`;
    return this;
  }

  /** Sets one extension item (Python's `setExtendedInfo`). */
  setExtendedInfo(name: string, value: unknown): this {
    this.extension[name] = value;
    return this;
  }

  /**
   * @internal The storage's form: UTF-8 user and description, the
   * extension pickled (protocol 3) or empty. Throws
   * `InvalidArgumentError` when a field exceeds 65535 bytes.
   */
  toStorage(): TransactionMetaData {
    const user = Buffer.from(this.user, 'utf8');
    const description = Buffer.from(this.description, 'utf8');
    const extension = Object.keys(this.extension).length === 0 ? Buffer.alloc(0) : encodePickle(this.extension);
    for (const [name, value] of [['user', user], ['description', description], ['extension', extension]] as const) {
      if (value.length > MAX_METADATA_BYTES) {
        throw new InvalidArgumentError(`transaction ${name} is ${value.length} bytes; storages accept at most ${MAX_METADATA_BYTES}`);
      }
    }
    return { user, description, extension };
  }
}
