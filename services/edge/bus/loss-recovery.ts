// When the cluster bus may have lost messages (a Redis connection dropped, a Redis Cluster node
// left), persistent sessions are closed so their clients reconnect and collect them from their
// stored queues. A failover is a burst of such signals spread over seconds: one recovery per burst
// is enough, but only if the last signal is answered too. A signal that arrives while a recovery
// runs, or within `holdMs` after it, is answered by one more recovery at the end of that time,
// never dropped: the first signal of a failover may come before the bus is whole again, and a
// recovery that then resumes sessions on a bus still settling would leave what it misses next in
// their queues until some later reconnect (a message lost in a CI run, redis-cluster-failover).
export class LossRecovery {
  #running = false;
  #pending = false;

  /**
   * @param recover closes the sessions (after preparing the bus for their return); its failures
   *   are the caller's to log.
   */
  constructor(
    private readonly recover: () => Promise<void>,
    private readonly holdMs: number,
  ) {}

  /** Messages may have been lost now. */
  signal(): void {
    if (this.#running) {
      this.#pending = true;
      return;
    }
    this.#running = true;
    void this.recover()
      .catch(() => undefined)
      .then(() => new Promise((resolve) => setTimeout(resolve, this.holdMs).unref()))
      .then(() => {
        this.#running = false;
        if (!this.#pending) return;
        this.#pending = false;
        this.signal();
      });
  }
}
