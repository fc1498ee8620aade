// The marshallers the tests run against, one per encoding.
import type { Marshaller } from '../../../src/zeo/wire/marshaller.js';
import { MsgpackMarshaller } from '../../../src/zeo/wire/msgpack-marshaller.js';
import { PickleMarshaller } from '../../../src/zeo/wire/pickle-marshaller.js';

/** One fresh marshaller per encoding. */
export function availableMarshallers(): Marshaller[] {
  return [new MsgpackMarshaller(), new PickleMarshaller()];
}
