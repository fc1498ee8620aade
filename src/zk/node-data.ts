import { InvalidArgumentError } from '../errors.js';

/** Data a node can hold: bytes, or a string stored as UTF-8. */
export type NodeDataInput = Uint8Array | string;

/** ZooKeeper's default limit on one node's data (jute.maxbuffer). */
export const MAX_DATA_BYTES = 1024 * 1024;

/**
 * The bytes to store for `data` (no copy for a Buffer or Uint8Array).
 * @throws InvalidArgumentError naming `path` for a wrong type or data over the limit
 */
export function nodeDataBytes(path: string, data: NodeDataInput | undefined): Buffer {
  let bytes: Buffer;
  if (data === undefined) bytes = Buffer.alloc(0);
  else if (typeof data === 'string') bytes = Buffer.from(data, 'utf8');
  else if (data instanceof Uint8Array) bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  else throw new InvalidArgumentError(`data for ${path} must be a Uint8Array or a string, got ${typeof data}`);
  if (bytes.length > MAX_DATA_BYTES) {
    throw new InvalidArgumentError(`data for ${path} is ${bytes.length} bytes; ZooKeeper's limit is ${MAX_DATA_BYTES}`);
  }
  return bytes;
}
