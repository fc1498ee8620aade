import { ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import { ZEO_ENCODINGS, type ZeoEncoding } from './marshaller.js';

/** The only protocol version ZEO 5.4 – 6 speak. */
export const ZEO_PROTOCOL_VERSION = '5';

/** The handshake letter of each encoding. */
export const ENCODING_LETTERS = Object.freeze({
  /** `Z5`: pickle-encoded messages. */
  [ZEO_ENCODINGS.pickle]: 'Z',
  /** `M5`: msgpack-encoded messages. */
  [ZEO_ENCODINGS.msgpack]: 'M',
} as const);

/** What a client sends instead of a version to ask for the server's status. */
export const RUOK = 'ruok';

const RUOK_BYTES = Buffer.from(RUOK, 'latin1');

/** The result of a client reading the server's announcement. */
export interface ServerAnnouncement {
  /** The encoding the server proposed and the client will use. */
  readonly encoding: ZeoEncoding;
  /** The announcement as received, e.g. `Z5`. */
  readonly announced: string;
  /** The payload the client must send back, e.g. `Z5`. */
  readonly reply: Buffer;
}

/** What a server learns from a client's first frame. */
export type ClientHandshake =
  | {
      /** The client speaks the protocol. */
      readonly kind: 'protocol';
      /** The encoding for the rest of the connection (the client decides). */
      readonly encoding: ZeoEncoding;
      /** The handshake as received, e.g. `M5`. */
      readonly received: string;
    }
  | {
      /** The client asked for the status JSON (`ruok`); answer it and close. */
      readonly kind: 'ruok';
    };

/** The handshake payload announcing `encoding`: `Z5` or `M5` (what a server sends first). */
export function encodeHandshake(encoding: ZeoEncoding): Buffer {
  return Buffer.from(ENCODING_LETTERS[encoding] + ZEO_PROTOCOL_VERSION, 'latin1');
}

function letterEncoding(letter: string): ZeoEncoding | undefined {
  if (letter === ENCODING_LETTERS.pickle) return ZEO_ENCODINGS.pickle;
  if (letter === ENCODING_LETTERS.msgpack) return ZEO_ENCODINGS.msgpack;
  return undefined;
}

/** Renders handshake bytes for error messages the way Python's repr would, roughly. */
function show(payload: Uint8Array): string {
  return JSON.stringify(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1'));
}

/**
 * Client side: validates the server's first frame and computes the answer,
 * as the ZEO 6 client does: the version is `min(announced, "5")` (so a
 * server announcing `6` gets `5`), which must be `5`; the answer echoes the
 * server's encoding letter.
 * @throws ProtocolError `ZEO_UNSUPPORTED_VERSION` for a version below 5,
 *   `ZEO_BAD_HANDSHAKE` for an unknown encoding letter.
 */
export function parseServerHandshake(payload: Uint8Array): ServerAnnouncement {
  const announced = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1');
  const encoding = letterEncoding(announced.slice(0, 1));
  if (encoding === undefined) {
    throw new ProtocolError(ZEO_ERROR_CODES.badHandshake, `server announced ${show(payload)}: unknown encoding letter`);
  }
  const offered = announced.slice(1);
  // Python compares the byte strings: min(b"6", b"5") is b"5", min(b"4", b"5") is b"4".
  const version = offered < ZEO_PROTOCOL_VERSION ? offered : ZEO_PROTOCOL_VERSION;
  if (version !== ZEO_PROTOCOL_VERSION) {
    throw new ProtocolError(
      ZEO_ERROR_CODES.unsupportedVersion,
      `server announced ${show(payload)}: protocol version ${JSON.stringify(offered)} is older than ${ZEO_PROTOCOL_VERSION}`,
    );
  }
  return { encoding, announced, reply: encodeHandshake(encoding) };
}

/**
 * Server side: reads the client's first frame. `ruok` asks for the status
 * JSON; otherwise the version part must be exactly `5` and the letter
 * (`Z` or `M`) chooses the encoding, whatever the server announced.
 * @throws ProtocolError `ZEO_UNSUPPORTED_VERSION` for any other version
 *   (Python logs "bad handshake" and closes), `ZEO_BAD_HANDSHAKE` for an
 *   unknown encoding letter.
 */
export function parseClientHandshake(payload: Uint8Array): ClientHandshake {
  if (payload.byteLength === RUOK_BYTES.length && RUOK_BYTES.equals(payload)) return { kind: 'ruok' };
  const received = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1');
  if (received.slice(1) !== ZEO_PROTOCOL_VERSION) {
    throw new ProtocolError(ZEO_ERROR_CODES.unsupportedVersion, `bad handshake ${show(payload)}: only version ${ZEO_PROTOCOL_VERSION} is spoken`);
  }
  const encoding = letterEncoding(received.slice(0, 1));
  if (encoding === undefined) {
    throw new ProtocolError(ZEO_ERROR_CODES.badHandshake, `bad handshake ${show(payload)}: unknown encoding letter`);
  }
  return { kind: 'protocol', encoding, received };
}
