// Per-principal limits of Yandex IoT Core (docs/yandex-behaviour.md §4.8, §5), all off unless configured:
// publish rate per device / per broker (excess is dropped and counted, the publisher still gets
// its PUBACK, as Yandex "does not guarantee delivery" beyond limits), and concurrent connections
// per broker (Yandex: 50) and per registry with its devices.
import type { Principal } from '../../contracts/principal.js';
import { TokenBucket } from './token-bucket.js';

export interface LimitSettings {
  devicePublishRate: number;
  brokerPublishRate: number;
  maxConnectionsPerBroker: number;
  maxConnectionsPerRegistry: number;
}

export class PrincipalLimits {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #connections = new Map<string, number>();
  #dropped = 0;

  constructor(private readonly settings: LimitSettings) {}

  /** Whether a publish may pass; false means drop it (and it is counted). */
  allowPublish(principal: Principal): boolean {
    const rate =
      principal.kind === 'device' ? this.settings.devicePublishRate : principal.kind === 'broker' ? this.settings.brokerPublishRate : 0;
    if (rate <= 0) return true;
    let bucket = this.#buckets.get(principal.id);
    if (!bucket) {
      bucket = new TokenBucket(rate, Math.max(1, rate));
      this.#buckets.set(principal.id, bucket);
    }
    if (bucket.tryTake()) return true;
    this.#dropped++;
    return false;
  }

  /** Reserves a connection slot; false when the principal's group is full. */
  openConnection(principal: Principal): boolean {
    const [group, limit] = this.#group(principal);
    if (!group) return true;
    const current = this.#connections.get(group) ?? 0;
    if (limit > 0 && current >= limit) return false;
    this.#connections.set(group, current + 1);
    return true;
  }

  closeConnection(principal: Principal): void {
    const [group] = this.#group(principal);
    if (!group) return;
    const remaining = (this.#connections.get(group) ?? 1) - 1;
    if (remaining <= 0) this.#connections.delete(group);
    else this.#connections.set(group, remaining);
  }

  droppedPublishes(): number {
    return this.#dropped;
  }

  #group(principal: Principal): [string | undefined, number] {
    if (principal.kind === 'broker')
      return this.settings.maxConnectionsPerBroker > 0 ? [`broker:${principal.id}`, this.settings.maxConnectionsPerBroker] : [undefined, 0];
    return this.settings.maxConnectionsPerRegistry > 0
      ? [`registry:${principal.registry_id}`, this.settings.maxConnectionsPerRegistry]
      : [undefined, 0];
  }
}
