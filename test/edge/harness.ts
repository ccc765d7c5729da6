// An all-in-one node in-process: registry API + MQTT edge on TLS (local CA), free ports.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import { startApi, type ApiHarness } from '../registry/api/harness.js';
import { startEdge, type RunningEdge } from '../../services/edge/edge.js';
import { inProcessLink } from '../../services/registry/edge-link.js';
import { ensureLocalTlsMaterial } from '../../services/common/tls-material.js';
import type { LimitSettings } from '../../services/edge/limits/principal-limits.js';
import { embeddedMqttPersistence } from '../../services/edge/persistence/embedded.js';
import { mongoMqttPersistence } from '../../services/edge/persistence/mongo.js';
import { mongoUrl } from '../support/servers.js';
import { createDevice } from '../../services/registry/resources/devices.js';
import { createRegistry } from '../../services/registry/resources/registries.js';

export interface EdgeHarness {
  api: ApiHarness;
  edge: RunningEdge;
  ca: Buffer;
  port: number;
  /** With `sessions`: the edge's MQTT state, which a test may read or close under the running edge. */
  mqttState?: { persistence: unknown; close(): Promise<void> };
  connect(options: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  maxMessageBytes?: number;
  limits?: Partial<LimitSettings>;
  wss?: boolean;
  maxSubscriptions?: number;
  /** MQTT state in LevelDB (as `iotcore serve` keeps it) with these session bounds; in memory otherwise. */
  sessions?: { maxQueuedMessages: number; maxQueuedBytes: number; expirySeconds: number };
  /** With `sessions`: keep MQTT state in the test MongoDB, as a cluster edge does, instead of LevelDB. */
  mongoDb?: string;
}

export async function startEdgeHarness(options: HarnessOptions = {}): Promise<EdgeHarness> {
  const api = await startApi();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-edge-'));
  const tls = await ensureLocalTlsMaterial(dir, []);
  const state = !options.sessions
    ? undefined
    : options.mongoDb
      ? await mongoMqttPersistence(await mongoUrl(), options.mongoDb)
      : await embeddedMqttPersistence(dir);
  const edge = await startEdge({
    link: inProcessLink(api.api.ctx, api.api.authenticator, api.api.logStore),
    logger: pino({ level: 'silent' }),
    tls: { host: '127.0.0.1', port: 0, cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) },
    maxMessageBytes: options.maxMessageBytes ?? 262_144,
    limits: options.limits,
    wss: options.wss ? { host: '127.0.0.1', port: 0, requestCert: true } : undefined,
    maxSubscriptions: options.maxSubscriptions,
    persistence: state?.persistence,
    sessionLimits: state && options.sessions ? { ...options.sessions, queued: state.queued, ledger: state.sessions } : undefined,
  });
  api.api.attachDataPlane(edge.dataPlane);
  const ca = await readFile(tls.caFile);
  const clients: MqttClient[] = [];
  return {
    api,
    edge,
    ca,
    port: edge.ports.tls!,
    mqttState: state,
    connect: async (clientOptions) => {
      const client = await mqtt.connectAsync({
        protocol: 'mqtts',
        host: 'localhost',
        port: edge.ports.tls!,
        ca,
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...clientOptions,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
      await edge.close();
      await state?.close();
      await api.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A registry "r" in folder "f" with one device "d", each with the given password. */
export async function registryAndDevice(
  harness: EdgeHarness,
  passwords: { registry: string; device: string },
): Promise<{ registry: string; device: string }> {
  const ctx = harness.api.api.ctx;
  const registry = (
    await createRegistry(ctx, { folder_id: 'f', name: 'r', description: '', labels: {}, certificates: [], password: passwords.registry })
  ).id;
  const device = (
    await createDevice(ctx, {
      registry_id: registry,
      name: 'd',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: passwords.device,
    })
  ).id;
  return { registry, device };
}

/** Resolves with the next message whose topic matches, or rejects after `ms`. */
export function nextMessage(client: MqttClient, topic?: string, ms = 3000): Promise<{ topic: string; payload: Buffer; retain: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message${topic ? ` on ${topic}` : ''} within ${ms} ms`));
    }, ms);
    const onMessage = (received: string, payload: Buffer, packet: { retain: boolean }) => {
      if (topic && received !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic: received, payload, retain: packet.retain });
    };
    client.on('message', onMessage);
  });
}

/** Resolves when the client's connection closes (the broker dropped it), rejects after `ms`. */
export function closed(client: MqttClient, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error(`connection not closed within ${ms} ms`)), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** CONNACK's Session Present of the client's connection. */
export const sessionPresent = (client: MqttClient): boolean | undefined =>
  (client as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent;

/** One CONNECT over TLS from `localAddress` (e.g. 127.0.0.2, to be another client address); its CONNACK return code. */
export function rawConnack(port: number, ca: Buffer, localAddress: string, username: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const tcp = net.connect({ host: '127.0.0.1', port, localAddress });
    const socket = tls.connect({ socket: tcp, servername: 'localhost', ca });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no CONNACK within 10 s'));
    }, 10_000);
    parser.on('packet', (packet) => {
      clearTimeout(timer);
      socket.end();
      resolve((packet as { returnCode: number }).returnCode);
    });
    socket.on('data', (data: Buffer) => parser.parse(data));
    socket.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('secureConnect', () =>
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: `c-${Math.random()}`,
          keepalive: 30,
          username,
          password: Buffer.from(password),
        }),
      ),
    );
  });
}
