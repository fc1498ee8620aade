/**
 * The two orders zc.zk's (Python 2) tree export shows things in: `sorted()`
 * of unicode strings, and the iteration order of a dict built from JSON.
 * The second is not insertion order but the order of the slots of CPython
 * 2.7's hash table, which is fully determined by the keys (string hashing
 * is not randomised by default in Python 2) and the order they were
 * inserted. Matching it lets nested dict values print exactly as zc.zk
 * prints them. Assumes a 64-bit CPython 2.7 built with UCS-4 strings (the
 * usual Linux build).
 */

/**
 * Compare two strings by Unicode code points, as Python's `sorted()` does
 * for unicode strings (JavaScript's default compares UTF-16 code units,
 * which orders astral characters differently).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Only the first differing unit matters; surrogates sort above the BMP.
      const cx = a.codePointAt(i) ?? x;
      const cy = b.codePointAt(i) ?? y;
      return cx < cy ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/** The hash CPython 2.7 (64-bit, UCS-4, no `-R`) gives a unicode string. */
export function python2UnicodeHash(s: string): bigint {
  if (s.length === 0) return 0n;
  let length = 0;
  let x = 0n;
  let first = true;
  for (const ch of s) {
    const cp = BigInt(ch.codePointAt(0) ?? 0);
    if (first) {
      x = cp << 7n;
      first = false;
    }
    x = BigInt.asIntN(64, 1000003n * x) ^ cp;
    length++;
  }
  x ^= BigInt(length);
  return x === -1n ? -2n : x;
}

const MIN_SIZE = 8;
const PERTURB_SHIFT = 5n;

/** Python 2.7 `dictresize`: the smallest power of two above `minUsed`, at least 8. */
function tableSizeFor(minUsed: number): number {
  let size = MIN_SIZE;
  while (size <= minUsed) size *= 2;
  return size;
}

/** Place `key` (index into `hashes`) into `table` by CPython's open-addressing probe. */
function place(table: Int32Array, hash: bigint, keyIndex: number): void {
  const mask = BigInt(table.length - 1);
  let i = BigInt.asUintN(64, hash);
  let perturb = i;
  let slot = Number(i & mask);
  while (table[slot] !== -1) {
    i = BigInt.asUintN(64, (i << 2n) + i + perturb + 1n);
    slot = Number(i & mask);
    perturb >>= PERTURB_SHIFT;
  }
  table[slot] = keyIndex;
}

/**
 * The order in which CPython 2.7 iterates a dict whose (distinct, unicode)
 * keys were inserted one by one in the given order into an empty dict, as
 * `json.loads` does. Returns the keys reordered.
 */
export function python2DictOrder(keys: readonly string[]): string[] {
  const hashes = keys.map(python2UnicodeHash);
  let table = new Int32Array(MIN_SIZE).fill(-1);
  let used = 0;
  for (let k = 0; k < keys.length; k++) {
    place(table, hashes[k] ?? 0n, k);
    used++;
    // Same growth rule as PyDict_SetItem: resize when two thirds full.
    if (used * 3 >= table.length * 2) {
      const old = table;
      table = new Int32Array(tableSizeFor((used > 50000 ? 2 : 4) * used)).fill(-1);
      for (const index of old) {
        if (index !== -1) place(table, hashes[index] ?? 0n, index);
      }
    }
  }
  const ordered: string[] = [];
  for (const index of table) {
    if (index !== -1) ordered.push(keys[index] ?? '');
  }
  return ordered;
}
