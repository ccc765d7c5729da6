// Who an MQTT client is, as the registry authenticates it and the edge enforces it.

export type OwnerKind = 'device' | 'registry' | 'broker';

export interface DeviceAlias {
  device_id: string;
  alias: string;
  topic_prefix: string;
}

/** An authenticated principal: everything the edge's topic policy needs (docs/yandex-behaviour.md). */
export interface Principal {
  kind: OwnerKind;
  id: string;
  /** Device: its registry; registry: itself; broker: empty. */
  registry_id: string;
  folder_id: string;
  /** Password id or certificate fingerprint the client proved. */
  credential_id: string;
  /** Device: its own aliases (alias → canonical prefix); empty otherwise. */
  topic_aliases: Record<string, string>;
  /** Registry: the aliases of all its devices; empty otherwise. */
  registry_aliases: DeviceAlias[];
}

export interface AuthRequest {
  username: string;
  password?: Buffer;
  certificate_fingerprint?: string;
}

export type AuthResult = 'OK' | 'BAD_USERNAME_OR_PASSWORD' | 'NOT_AUTHORIZED';

export type AuthOutcome = { result: 'OK'; principal: Principal } | { result: Exclude<AuthResult, 'OK'>; reason: string };
