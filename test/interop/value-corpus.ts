// A seeded, reproducible corpus of Python values (tagged JSON) for the
// pickle codec cross-check: nested containers of every supported type,
// plus fixed edge cases (opcode size boundaries, batching at 1000 items).
import type { Tagged } from './tagged-json.js';

/** mulberry32: small, fast, and the same sequence everywhere. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (n: bigint | number): Tagged => ({ int: String(n) });
const float = (text: string): Tagged => ({ float: text });

const INT_EDGES = [
  0n, 1n, -1n, 255n, 256n, 65535n, 65536n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), -(2n ** 31n) - 1n,
  2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n, -(2n ** 64n),
  2n ** 200n + 12345n, -(10n ** 40n), 2n ** 2100n + 1n, // the last needs LONG4 (more than 255 bytes)
];
const FLOAT_EDGES = ['0.0', '-0.0', '1.5', '-2.25', '3.0', '1e+300', '5e-324', '0.1', '9007199254740992.0', '1e+22', 'nan', 'inf', '-inf'];
// Strings without digits, so none equals a decimal's text (see DECIMAL_TEXTS).
const STRINGS = [
  '', 'a', 'hello', 'caf\u00e9', '\u2603 snow', '\u{1f600}', 'a\nb', '\u0000', 'x'.repeat(300), 'lone \ud800 surrogate',
  'data', '__proto__', 'line\r\n', '"quoted" \\ back', '\u00ff\u0100', 'Z'.repeat(70000),
];
const INDEX_KEYS = ['7', '0', '42'];

/** Builds the corpus: `count` random values after the fixed edge cases. */
export function valueCorpus(seed: number, count: number): Tagged[] {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const below = (n: number): number => Math.floor(random() * n);
  // Decimal texts are unique inside one value: Python writes each Decimal's str() as a new object
  // (no memo), while the TS encoder memoizes equal strings.
  let decimalSerial = 0;

  const randomString = (): string => {
    const letters = 'abcdefghijklmnopqrstuvwxyz ABC\u00e9\u00df\u0416\u4e2d\u{1f680}\u{10ffff}_-';
    const chars = [...letters];
    return Array.from({ length: below(12) }, () => pick(chars)).join('');
  };
  const randomInt = (): Tagged => {
    switch (below(4)) {
      case 0:
        return int(pick(INT_EDGES));
      case 1:
        return int(below(512) - 256);
      case 2:
        return int(Math.floor((random() - 0.5) * 2 ** 40));
      default: {
        let n = 0n;
        const bytes = 1 + below(40);
        for (let i = 0; i < bytes; i++) n = (n << 8n) | BigInt(below(256));
        return int(random() < 0.5 ? -n : n);
      }
    }
  };
  const randomFloat = (): Tagged => {
    if (random() < 0.4) return float(pick(FLOAT_EDGES));
    const f = (random() - 0.5) * 10 ** (below(40) - 20);
    if (random() < 0.2) {
      const whole = Math.round(f);
      return float(Number.isSafeInteger(whole) && !Object.is(whole, -0) ? `${whole}.0` : String(whole));
    }
    return float(String(f));
  };
  const randomBytes = (): Tagged => {
    const length = pick([0, 1, 1, 2, 8, 10, 255, 256, below(64)]);
    return { bytes: Buffer.from(Array.from({ length }, () => below(256))).toString('hex') };
  };
  const randomDatetime = (): Tagged => {
    const fields = [1 + below(9999), 1 + below(12), 1 + below(28), below(24), below(60), below(60), below(1_000_000)];
    const tz = pick([null, null, 0, 3600, -18000, 19800, 86399 - 60, -86340]);
    return { datetime: fields, tz };
  };
  const randomDecimal = (): Tagged => {
    decimalSerial += 1;
    const forms = [`${decimalSerial}.10`, `-0.00${decimalSerial}`, `${decimalSerial}E+3`, `1234567890123456789${decimalSerial}.5`];
    return { decimal: pick(forms) };
  };
  const hashable = (): Tagged => {
    switch (below(6)) {
      case 0:
        return randomInt();
      case 1:
        return pick([...STRINGS.slice(0, 10), ...INDEX_KEYS]);
      case 2:
        return randomString();
      case 3:
        return randomBytes();
      case 4:
        return { tuple: [randomInt(), randomString()] };
      default:
        return random() < 0.5 ? null : { date: [1 + below(9999), 1 + below(12), 1 + below(28)] };
    }
  };
  const uniqueKeys = (n: number, make: () => Tagged): Tagged[] => {
    const seen = new Map<string, Tagged>();
    for (let i = 0; i < n; i++) {
      const key = make();
      seen.set(JSON.stringify(key), key);
    }
    return [...seen.values()];
  };
  const scalar = (): Tagged => {
    switch (below(11)) {
      case 0:
        return null;
      case 1:
        return random() < 0.5;
      case 2:
      case 3:
        return randomInt();
      case 4:
        return randomFloat();
      case 5:
        return random() < 0.5 ? pick(STRINGS.slice(0, 15)) : randomString();
      case 6:
        return randomBytes();
      case 7:
        return randomDatetime();
      case 8:
        return { date: [1 + below(9999), 1 + below(12), 1 + below(28)] };
      case 9:
        return randomDecimal();
      default:
        return { tuple: [] };
    }
  };
  const value = (depth: number): Tagged => {
    if (depth <= 0 || random() < 0.3) return scalar();
    const n = below(6);
    switch (below(7)) {
      case 0:
        return Array.from({ length: n }, () => value(depth - 1));
      case 1:
        return { tuple: Array.from({ length: n }, () => value(depth - 1)) };
      case 2: {
        const keys = uniqueKeys(n, () => (random() < 0.15 ? pick(INDEX_KEYS) : random() < 0.5 ? pick(STRINGS.slice(0, 15)) : randomString()));
        return { dict: keys.map((k) => [k, value(depth - 1)]) };
      }
      case 3:
        return { dict: uniqueKeys(n, hashable).map((k) => [k, value(depth - 1)]) };
      case 4:
        return { set: uniqueKeys(n, hashable) };
      case 5:
        return { frozenset: uniqueKeys(n, hashable) };
      default:
        return scalar();
    }
  };

  const range = (n: number): Tagged[] => Array.from({ length: n }, (_, i) => int(i));
  const fixed: Tagged[] = [
    ...INT_EDGES.map(int),
    ...FLOAT_EDGES.map(float),
    ...STRINGS,
    { bytes: '' },
    { bytes: '00'.repeat(255) },
    { bytes: 'ab'.repeat(256) },
    range(1000),
    range(1001),
    range(2500),
    { tuple: range(4) },
    { dict: range(1000).map((k) => [k, null]) },
    { dict: range(1001).map((k) => [{ int: `-${(k as { int: string }).int}` }, k]) },
    { set: range(1001) },
    { frozenset: range(3) },
    { datetime: [2024, 1, 2, 3, 4, 5, 678901], tz: null },
    { datetime: [2024, 1, 2, 3, 4, 5, 0], tz: 0 },
    { datetime: [1, 1, 1, 0, 0, 0, 0], tz: -3600 },
    { date: [2024, 2, 29] },
    { decimal: '1.10' },
    { decimal: 'NaN' },
    { decimal: '-Infinity' },
    [{ bytes: '41' }, { bytes: '41' }, { bytes: '' }, { bytes: '' }],
    [{ datetime: [2024, 1, 2, 3, 4, 5, 0], tz: 0 }, { datetime: [2025, 1, 2, 3, 4, 5, 0], tz: 0 }],
  ];
  const out = [...fixed];
  for (let i = 0; i < count; i++) {
    decimalSerial = 0;
    out.push(value(4));
  }
  return out;
}
