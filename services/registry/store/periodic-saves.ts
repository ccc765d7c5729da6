// Records that change often and are read from memory (devices' monitoring times, embedded.ts) are
// written every few seconds instead of on every change: which ones changed since the last save,
// and the timer that writes them a chunk at a time. A crash loses at most one interval of changes.

/**
 * How often both stores write devices' new monitoring times. An active device's change every second;
 * written through, each was a write per device and second. A crash loses at most this much of them.
 */
export const MONITORING_SAVE_MS = 10_000;

export class PeriodicSaves {
  readonly #unsaved = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  /** The save under way: a timer tick during one is skipped. */
  #saving: Promise<void> | undefined;

  /**
   * `write(ids, saved)` writes those records as they are now and calls `saved` once they are
   * stored, in the same step (a change queued after it marks its record unsaved again); `chunk`:
   * records per write, each write one short task of the event loop.
   */
  constructor(
    private readonly write: (ids: string[], saved: () => void) => Promise<void>,
    intervalMs: number,
    private readonly chunk: number,
  ) {
    this.#timer = setInterval(() => {
      // A failed write keeps its records unsaved for the next save.
      this.#saving ??= this.saveAll()
        .catch(() => undefined)
        .finally(() => {
          this.#saving = undefined;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  changed(id: string): void {
    this.#unsaved.add(id);
  }

  /** Writes every record changed since the last save, a chunk at a time. */
  async saveAll(): Promise<void> {
    const ids = [...this.#unsaved];
    for (let start = 0; start < ids.length; start += this.chunk) {
      const chunk = ids.slice(start, start + this.chunk);
      await this.write(chunk, () => {
        for (const id of chunk) this.#unsaved.delete(id);
      });
    }
  }

  /** Stops the timer and writes what is left; a failed write is dropped, as nothing is left to retry it. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#saving;
    await this.saveAll().catch(() => undefined);
  }
}
