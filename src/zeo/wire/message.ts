import { ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import { isSequence, isTuple, tuple, type ZeoValue } from './values.js';

/** The kinds of ZEO message, the discriminant of {@link ZeoMessage}. */
export const MESSAGE_KINDS = Object.freeze({
  /** A call that expects a reply (flag `False`). */
  call: 'call',
  /** A call without a reply (msgid 0, flag `True`). */
  oneWay: 'oneWay',
  /** A successful reply (name `.reply`, flag `0`). */
  reply: 'reply',
  /** An exception reply (name `.reply`, flag `2`, args `(class_name, payload)`). */
  errorReply: 'errorReply',
  /** The client's keep-alive, `(-1, 0, '.reply', None)`; servers ignore every msgid -1. */
  heartbeat: 'heartbeat',
} as const);

/** One of the strings in {@link MESSAGE_KINDS}. */
export type MessageKind = (typeof MESSAGE_KINDS)[keyof typeof MESSAGE_KINDS];

/** The method name every reply carries. */
export const REPLY_NAME = '.reply';

/** The msgid of heartbeats. */
export const HEARTBEAT_MSGID = -1;

/**
 * A message id: an integer counting from 1 per connection, or (the Python
 * client's `loadBefore`) the `(oid, tid)` tuple itself. Replies echo it.
 */
export type MessageId = ZeoValue;

/** A call that expects a reply. */
export interface CallMessage {
  /** Discriminant. */
  readonly kind: typeof MESSAGE_KINDS.call;
  /** The id the reply will echo. */
  readonly msgid: MessageId;
  /** The remote method's name. */
  readonly method: string;
  /** The positional arguments (a tuple on the wire). */
  readonly args: readonly ZeoValue[];
}

/** A call without a reply. */
export interface OneWayMessage {
  /** Discriminant. */
  readonly kind: typeof MESSAGE_KINDS.oneWay;
  /** The remote method's name. */
  readonly method: string;
  /** The positional arguments (a tuple on the wire). */
  readonly args: readonly ZeoValue[];
}

/** A successful reply. */
export interface ReplyMessage {
  /** Discriminant. */
  readonly kind: typeof MESSAGE_KINDS.reply;
  /** The msgid of the call, echoed unchanged. */
  readonly msgid: MessageId;
  /** The method's return value. */
  readonly result: ZeoValue;
}

/** A reply reporting that the call raised an exception. */
export interface ErrorReplyMessage {
  /** Discriminant. */
  readonly kind: typeof MESSAGE_KINDS.errorReply;
  /** The msgid of the call, echoed unchanged. */
  readonly msgid: MessageId;
  /** The exception's dotted Python class name. */
  readonly pythonClass: string;
  /** The exception's attribute dict (a `Map`) or, if it has none, its args tuple. */
  readonly payload: ZeoValue;
}

/** The client's keep-alive message. */
export interface HeartbeatMessage {
  /** Discriminant. */
  readonly kind: typeof MESSAGE_KINDS.heartbeat;
}

/** Any message sent after the handshake. */
export type ZeoMessage = CallMessage | OneWayMessage | ReplyMessage | ErrorReplyMessage | HeartbeatMessage;

const HEARTBEAT: HeartbeatMessage = Object.freeze({ kind: MESSAGE_KINDS.heartbeat });

/** The heartbeat message (one shared frozen instance). */
export function heartbeatMessage(): HeartbeatMessage {
  return HEARTBEAT;
}

/** Python's truth value of a decoded value (flags may be `False`, `0`, `True`, `2` …). */
export function pythonTruthy(value: ZeoValue): boolean {
  if (value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value.length > 0;
    default:
      break;
  }
  if (value instanceof Uint8Array || Array.isArray(value)) return (value as { length: number }).length > 0;
  if (value instanceof Map) return value.size > 0;
  return true;
}

function bad(message: string): ProtocolError {
  return new ProtocolError(ZEO_ERROR_CODES.badMessage, message);
}

/**
 * Interprets a decoded `(msgid, flag, name, args)` tuple the way the Python
 * peers do: name `.reply` is a reply (a truthy flag marks an error reply);
 * any other name is a call (a truthy flag marks a one-way call); msgid -1
 * is a heartbeat, whatever else it carries.
 * @throws ProtocolError `ZEO_BAD_MESSAGE` if the value is not such a tuple.
 */
export function messageFromTuple(value: ZeoValue): ZeoMessage {
  if (!isSequence(value) || value.length !== 4) {
    throw bad('a ZEO message must be a 4-tuple (msgid, flag, name, args)');
  }
  const [msgid, flag, name, args] = value as readonly [ZeoValue, ZeoValue, ZeoValue, ZeoValue];
  if (msgid === HEARTBEAT_MSGID) return HEARTBEAT;
  if (typeof name !== 'string') throw bad(`message name must be a str, got ${describeType(name)}`);
  if (name === REPLY_NAME) {
    if (!pythonTruthy(flag)) return { kind: MESSAGE_KINDS.reply, msgid, result: args };
    const pythonClass = isSequence(args) && args.length === 2 ? args[0] : undefined;
    if (typeof pythonClass !== 'string') throw bad('an error reply must carry (class_name, payload)');
    return { kind: MESSAGE_KINDS.errorReply, msgid, pythonClass, payload: (args as readonly ZeoValue[])[1] as ZeoValue };
  }
  if (!isSequence(args)) throw bad(`arguments of ${name} must be a tuple, got ${describeType(args)}`);
  if (pythonTruthy(flag)) return { kind: MESSAGE_KINDS.oneWay, method: name, args };
  return { kind: MESSAGE_KINDS.call, msgid, method: name, args };
}

/**
 * The `(msgid, flag, name, args)` tuple for a message, with the flags the
 * Python peers write: `False`/`True` for calls, `0`/`2` for replies.
 * With `tuples` (pickle mode) the outer tuple, the args, an array msgid and
 * an array error payload are {@link Tuple}s, as Python has them; without it
 * they are plain arrays (msgpack has one array type).
 */
export function messageToTuple(message: ZeoMessage, tuples: boolean): readonly ZeoValue[] {
  const make = tuples ? tuple : plainArray;
  const seq = tuples ? asTuple : identity;
  switch (message.kind) {
    case MESSAGE_KINDS.call:
      return make(seq(message.msgid), false, message.method, seq(message.args));
    case MESSAGE_KINDS.oneWay:
      return make(0, true, message.method, seq(message.args));
    case MESSAGE_KINDS.reply:
      return make(seq(message.msgid), 0, REPLY_NAME, message.result);
    case MESSAGE_KINDS.errorReply:
      return make(seq(message.msgid), 2, REPLY_NAME, make(message.pythonClass, seq(message.payload)));
    case MESSAGE_KINDS.heartbeat:
      return make(HEARTBEAT_MSGID, 0, REPLY_NAME, null);
  }
}

function plainArray(...items: ZeoValue[]): ZeoValue[] {
  return items;
}

function identity(value: ZeoValue): ZeoValue {
  return value;
}

/** An array that is not yet a {@link Tuple} becomes one; anything else is returned as is. */
function asTuple(value: ZeoValue): ZeoValue {
  return isSequence(value) && !isTuple(value) ? tuple(...value) : value;
}

/** A short description of a value's type for error messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'tuple';
  if (value instanceof Map) return 'dict';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
