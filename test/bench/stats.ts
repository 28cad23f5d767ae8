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
