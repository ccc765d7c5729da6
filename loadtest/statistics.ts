// Summaries of repeated measurements, shared by the benchmarks that repeat a run to outvote noise.

/** The middle value (the upper middle of an even count); `values` is left as it was. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
