// Small helpers shared by the benchmark scripts.

/** Median and p99 (and mean) of a list of samples, in the samples' unit. */
export function summarize(samples: readonly number[]): { median: number; p99: number; mean: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return { median: at(0.5), p99: at(0.99), mean, n: sorted.length };
}

/** Milliseconds since `start` (a `process.hrtime.bigint()` reading), as a float. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Prints one figure as `name: value unit`, aligned. */
export function report(name: string, value: number, unit: string, digits = 2): void {
  console.log(`${name.padEnd(66)} ${value.toFixed(digits).padStart(12)} ${unit}`);
}
