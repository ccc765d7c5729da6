// A token bucket: `ratePerSecond` tokens a second, holding at most `burst`.
export class TokenBucket {
  #tokens: number;
  #updated: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#updated = now();
  }

  tryTake(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#updated) / 1000) * this.ratePerSecond);
    this.#updated = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
