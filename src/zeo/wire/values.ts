import { PyFloat, Tuple } from '../../pickle/values.js';

export { PyFloat, Tuple, tuple } from '../../pickle/values.js';

/**
 * The values a ZEO message can carry, as JavaScript sees them:
 *
 * | Python | here |
 * | --- | --- |
 * | `None` | `null` |
 * | `bool` | `boolean` |
 * | `int` | `number` when it is a safe integer, otherwise `bigint` |
 * | `float` | `number` with a fraction, or {@link PyFloat} for an integral float such as `1.0` |
 * | `bytes` | `Uint8Array` (decoders return `Buffer` views of the frame) |
 * | `str` | `string` |
 * | `tuple` | {@link Tuple} (a frozen array); any array is accepted where a tuple is expected |
 * | `list` | a plain array |
 * | `dict` | `Map` (keys keep their order) |
 *
 * {@link Tuple}, {@link tuple} and {@link PyFloat} are the pickle codec's
 * classes (`src/pickle/values.ts`), shared so values pass between the
 * codec and this layer unconverted. Tuples and lists differ only in pickle mode; msgpack has one array type
 * and its decoder returns plain arrays for both.
 */
export type ZeoValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyFloat
  | readonly ZeoValue[]
  | ReadonlyMap<ZeoValue, ZeoValue>;

/** Whether `value` is marked as a Python tuple. */
export function isTuple(value: unknown): value is Tuple {
  return value instanceof Tuple;
}

/** Whether `value` is a tuple or list (any array). */
export function isSequence(value: ZeoValue | undefined): value is readonly ZeoValue[] {
  return Array.isArray(value);
}

