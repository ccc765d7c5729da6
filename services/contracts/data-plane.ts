// Data-plane Publish (Yandex's DeviceDataService, RegistryDataService, BrokerDataService): a
// message injected on behalf of a device, registry or broker, with the same ACL as MQTT. The edge
// implements it; the registry's gRPC API (and any other transport) calls it and maps its errors.
import type { OwnerKind } from './principal.js';

export interface DataPlane {
  publish(principal: { kind: OwnerKind; id: string }, topic: string, data: Buffer): Promise<void>;
}

/** Why a data-plane publish was refused, independent of the transport that carried it. */
export type DataPlaneFailure = 'NOT_FOUND' | 'PERMISSION_DENIED' | 'UNAVAILABLE';

export class DataPlaneError extends Error {
  constructor(
    readonly failure: DataPlaneFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DataPlaneError';
  }
}
