// In-process feed of changes that invalidate live MQTT sessions or cached policies. The edge
// auth API streams it to edges (WatchRevocations), which close the affected connections.
import { EventEmitter } from 'node:events';

export type RevocationKind =
  | 'DEVICE_DELETED'
  | 'REGISTRY_DELETED'
  | 'REGISTRY_DISABLED'
  | 'BROKER_DELETED'
  | 'PASSWORD_DELETED'
  | 'CERTIFICATE_DELETED'
  | 'DEVICE_ALIASES_CHANGED';

export interface Revocation {
  kind: RevocationKind;
  /** The device, registry or broker concerned. */
  entity_id: string;
  /** The registry of a device (or the registry itself); empty for brokers. */
  registry_id: string;
  /** Password id or certificate fingerprint, for credential revocations. */
  credential_id: string;
}

export class RegistryEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every connected edge holds one listener.
    this.#emitter.setMaxListeners(0);
  }

  revoke(revocation: Revocation): void {
    this.#emitter.emit('revocation', revocation);
  }

  onRevocation(listener: (revocation: Revocation) => void): () => void {
    this.#emitter.on('revocation', listener);
    return () => this.#emitter.off('revocation', listener);
  }
}
