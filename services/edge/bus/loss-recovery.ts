// When the cluster bus may have lost messages (a Redis connection dropped, a Redis Cluster node
// left), persistent sessions are closed so their clients reconnect and collect them from their
// stored queues. A failover is a burst of such signals spread over seconds (a Redis Cluster client
// saw a node leave about once a second for 7 s in a CI run), and the bus only carries everything
// again after its last one. So the first signal is answered at once (a lone blip needs nothing
// more), and the signals that follow are answered by one more recovery once `quietMs` has passed
// without a signal: a recovery in the middle of the burst resumes sessions on a bus still settling,
// and what they missed after it stayed in their queues until some later reconnect (CI lost 2 of
// 2,425 in redis-cluster-failover when clients came back fast).
import { setTimeout as sleep } from 'node:timers/promises';

export class LossRecovery {
  #running = false;
  #pending = false;
  #lastSignalAt = 0;

  /**
   * @param recover closes the sessions (after preparing the bus for their return); its failures
   *   are the caller's to log.
   */
  constructor(
    private readonly recover: () => Promise<void>,
    private readonly quietMs: number,
  ) {}

  /** Messages may have been lost now. */
  signal(): void {
    this.#lastSignalAt = Date.now();
    if (this.#running) {
      this.#pending = true;
      return;
    }
    this.#running = true;
    void this.recover()
      .catch(() => undefined)
      .then(() => this.#quiet())
      .then(() => {
        this.#running = false;
        if (!this.#pending) return;
        this.#pending = false;
        this.signal();
      });
  }

  /** Resolves once `quietMs` has passed since the end of the recovery and since the last signal. */
  async #quiet(): Promise<void> {
    const recoveredAt = Date.now();
    for (;;) {
      const wait = Math.max(recoveredAt, this.#lastSignalAt) + this.quietMs - Date.now();
      if (wait <= 0) return;
      await sleep(wait, undefined, { ref: false });
    }
  }
}
