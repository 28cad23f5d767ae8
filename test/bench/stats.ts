// Small statistics for the bench: medians of rounds, percentiles of latency samples.

/** The middle value (the lower middle for an even count). NaN for no samples. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Nearest-rank percentile (p in 0..100). NaN for no samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

/** Rounds to `digits` decimals, keeping NaN/undefined out of JSON as null. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A ratio rounded to two decimals. */
export function ratio(ours: number, baseline: number): number {
  return round(ours / baseline, 2);
}

/**
 * How long each tenth of a run took, from its receipt times in order (ms): tenth k runs from receipt
 * ⌊k(n−1)/10⌋ to ⌊(k+1)(n−1)/10⌋. A drain's first tenths against its last show its warm-up.
 *
 * @example tenths([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30]) // [1, 1, 1, 1, 1, 1, 1, 1, 1, 21]
 */
export function tenths(at: readonly number[]): number[] {
  if (at.length < 11) return [];
  const edge = (k: number) => at[Math.floor((k * (at.length - 1)) / 10)]!;
  return Array.from({ length: 10 }, (_, k) => edge(k + 1) - edge(k));
}

/** Element by element medians of equally long series (the rounds of a bench). */
export function medians(series: readonly (readonly number[])[]): number[] {
  const n = Math.min(...series.map((s) => s.length));
  return Number.isFinite(n) ? Array.from({ length: n }, (_, i) => median(series.map((s) => s[i]!))) : [];
}

/**
 * Each round's figure of a variant over the reference's figure in the same round: runs made side by
 * side share the machine's speed at that moment, so their ratios move less than the two medians do.
 *
 * @example paired([100, 90, 110], [105, 99, 110]) // [1.05, 1.1, 1]
 */
export function paired(reference: readonly number[], variant: readonly number[]): number[] {
  const n = Math.min(reference.length, variant.length);
  return Array.from({ length: n }, (_, i) => variant[i]! / reference[i]!);
}
