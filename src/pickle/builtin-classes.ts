/**
 * The few Python callables the decoder evaluates itself because they only
 * rebuild plain values: protocol-2 pickles write `bytes` as
 * `_codecs.encode(<latin-1 str>, 'latin1')` and `b''` as
 * `builtins.bytes()` (`__builtin__.bytes` before renaming). They stay
 * {@link PyGlobal}s, so a bare reference still encodes as a `GLOBAL`.
 */
import { PyGlobal, pickleCall, type PickleClass, type Tuple } from './values.js';

const NODE_ENCODINGS: Readonly<Record<string, BufferEncoding>> = Object.freeze({
  latin1: 'latin1',
  'latin-1': 'latin1',
  'iso-8859-1': 'latin1',
  ascii: 'ascii',
  'utf-8': 'utf8',
  utf8: 'utf8',
});

function encodeText(text: unknown, encoding: unknown): Buffer | undefined {
  if (typeof text !== 'string' || typeof encoding !== 'string') return undefined;
  const nodeEncoding = NODE_ENCODINGS[encoding.toLowerCase()];
  if (nodeEncoding === undefined) return undefined;
  const limit = nodeEncoding === 'latin1' ? 0xff : nodeEncoding === 'ascii' ? 0x7f : 0x10ffff;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > limit) return undefined;
  return Buffer.from(text, nodeEncoding);
}

/** `_codecs.encode(text, encoding)` for the encodings protocol-2 pickles use. */
class CodecsEncode extends PyGlobal implements PickleClass {
  constructor() {
    super('_codecs', 'encode');
  }

  [pickleCall](args: Tuple): unknown {
    return args.length === 2 ? encodeText(args[0], args[1]) : undefined;
  }
}

/** `bytes()`, `bytes(b)` and `bytes(text, encoding)`. */
class BytesType extends PyGlobal implements PickleClass {
  constructor() {
    super('builtins', 'bytes');
  }

  [pickleCall](args: Tuple): unknown {
    if (args.length === 0) return Buffer.alloc(0);
    if (args.length === 1 && args[0] instanceof Uint8Array) return Buffer.from(args[0]);
    return args.length === 2 ? encodeText(args[0], args[1]) : undefined;
  }
}

/** @internal The built-in callables by `module\nname` (Python 3 spelling). */
export const BUILTIN_CLASSES: ReadonlyMap<string, PyGlobal> = new Map<string, PyGlobal>([
  ['_codecs\nencode', new CodecsEncode()],
  ['builtins\nbytes', new BytesType()],
]);
