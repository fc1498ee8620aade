import { ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import type { MessageId } from './message.js';
import { PyFloat, type ZeoValue } from './values.js';

/**
 * A string that is equal for two message ids exactly when Python would find
 * one under the other in its dict of pending calls: `1`, `1n` and `True`
 * agree, tuples compare item by item, bytes by content.
 * @throws ProtocolError `ZEO_BAD_MESSAGE` for a dict, which Python cannot hash.
 */
export function messageIdKey(msgid: MessageId): string {
  return keyOf(msgid);
}

function keyOf(value: ZeoValue): string {
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? '1' : '0';
    case 'string':
      return JSON.stringify(value);
    default:
      break;
  }
  if (value === null) return 'None';
  if (value instanceof Uint8Array) return `b${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (value instanceof PyFloat) return String(value.value);
  if (Array.isArray(value)) return `(${(value as readonly ZeoValue[]).map(keyOf).join(',')})`;
  throw new ProtocolError(ZEO_ERROR_CODES.badMessage, 'a dict cannot be a message id');
}
