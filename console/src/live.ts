// The live view's MQTT connection: over the edge's secure WebSocket listener, as the registry, with a
// short-lived password the API issues for this registry (ConsoleService.IssueLiveCredential) — the
// console never holds a stored password. A credential that expires closes the connection at the
// edge; the view then asks for a new one and reconnects. mqtt.js is loaded only when a view opens.
import { api, enc } from './api';

export interface LiveMessage {
  topic: string;
  qos: number;
  retain: boolean;
  payload: Uint8Array;
  at: number;
}

export type LiveStatus = 'connecting' | 'connected' | 'subscribed' | 'reconnecting' | 'closed' | 'error';

interface Credential {
  username: string;
  password: string;
  expiresAt: string;
  websocketUrl?: string;
  websocketPort?: string;
}

export interface LiveSubscription {
  close(): void;
}

export function websocketUrl(credential: Pick<Credential, 'websocketUrl' | 'websocketPort'>, hostname: string): string {
  if (credential.websocketUrl) return credential.websocketUrl;
  if (!credential.websocketPort || credential.websocketPort === '0')
    throw new Error('this server has no MQTT WebSocket listener (--mqtt-wss-listen or --console-mqtt-url)');
  return `wss://${hostname.includes(':') ? `[${hostname}]` : hostname}:${credential.websocketPort}`;
}

export function subscribeLive(
  registryId: string,
  filters: string[],
  onMessage: (message: LiveMessage) => void,
  onStatus: (status: LiveStatus, detail?: string) => void,
): LiveSubscription {
  let stopped = false;
  let client: { end(force?: boolean): void } | undefined;
  const connect = async (attempt: number) => {
    onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    const [credential, { default: mqtt }] = await Promise.all([
      api<Credential>('POST', `/iotcore-console/v1/registries/${enc(registryId)}:issueLiveCredential`, { minutes: 10 }),
      import('mqtt'),
    ]);
    if (stopped) return;
    const connection = mqtt.connect(websocketUrl(credential, location.hostname), {
      username: credential.username,
      password: credential.password,
      clientId: `console-${crypto.randomUUID().slice(0, 8)}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      // mqtt.js would start its keep-alive timer in a worker made from a blob: URL, which the CSP
      // refuses (no blob: scripts); plain timers are enough for a 60 s keep-alive.
      timerVariant: 'native',
    });
    client = connection;
    connection.on('connect', () => {
      onStatus('connected');
      connection.subscribe(filters.map((filter) => filter.trim()).filter(Boolean), { qos: 1 }, (error, granted) => {
        if (error) return onStatus('error', error.message);
        // SUBACK 0x80: the registry may not read this filter (docs/yandex-behaviour.md §3).
        const refused = (granted ?? []).filter((grant) => grant.qos === 128).map((grant) => grant.topic);
        onStatus(refused.length ? 'error' : 'subscribed', refused.length ? `not allowed: ${refused.join(', ')}` : undefined);
      });
    });
    connection.on('message', (topic, payload, packet) =>
      onMessage({ topic, qos: packet.qos, retain: packet.retain, payload, at: Date.now() }),
    );
    connection.on('error', (error) => onStatus('error', error.message));
    connection.on('close', () => {
      if (stopped) return onStatus('closed');
      // Expired credential, edge restart or network: a new credential after a pause that grows.
      setTimeout(() => void connect(attempt + 1).catch(fail), Math.min(1000 * 2 ** Math.min(attempt, 4), 15_000));
    });
  };
  const fail = (error: Error) => onStatus('error', error.message);
  void connect(0).catch(fail);
  return {
    close: () => {
      stopped = true;
      client?.end(true);
    },
  };
}
