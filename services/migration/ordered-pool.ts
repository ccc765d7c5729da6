// Runs an import's requests several at a time without changing what a one-at-a-time import decides.
// A request waits while an earlier one it clashes with (same name, alias, certificate or password
// ID) is still in flight, so of two clashing resources the one first in the snapshot is written and
// the second gets its CONFLICT, as before. Requests start in snapshot order.

/**
 * Calls `run` for every item, at most `inFlight` at a time, each once every earlier item it
 * `clashes` with has finished. The first error is thrown once every started call has settled.
 */
export async function forEachInOrder<T>(
  items: Iterable<T>,
  options: { inFlight: number; clashes(earlier: T, later: T): boolean },
  run: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const running = new Map<number, { item: T; done: Promise<void> }>();
  let failure: { error: unknown } | undefined;
  let index = 0;
  for (const item of items) {
    while (!failure) {
      const blocking = [...running.values()].filter((earlier) => options.clashes(earlier.item, item));
      if (blocking.length === 0 && running.size < options.inFlight) break;
      await Promise.race((blocking.length > 0 ? blocking : [...running.values()]).map(({ done }) => done));
    }
    if (failure) break;
    const started = index++;
    const done = run(item, started)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => running.delete(started));
    running.set(started, { item, done });
  }
  await Promise.all([...running.values()].map(({ done }) => done));
  if (failure) throw failure.error;
}
