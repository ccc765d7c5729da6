// Damaged and random MQTT byte streams fed to an in-process edge (aedes with the edge's real hooks,
// startEdge without listeners, an in-memory registry link, LevelDB state) over in-memory connections: nothing may
// crash, every connection must be closed once its client hangs up, MQTT's order of answers must
// hold, clients connected throughout must stay connected, and the broker must keep serving a
// well-formed CONNECT, SUBSCRIBE and PUBLISH.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import { startEdge, type RunningEdge } from '../../../services/edge/edge.js';
import { embeddedMqttPersistence } from '../../../services/edge/persistence/embedded.js';
import { resolveServeConfig } from '../../../services/common/config.js';
import type { FuzzTarget } from '../target.js';
import { IDS } from '../support/topic-inputs.js';
import { PASSWORD, inMemoryRegistryLink } from '../support/in-memory-registry-link.js';
import { MemoryConnection } from '../support/memory-connection.js';
import { bytesOf, chunksOf, clientStream, type ClientStream } from '../support/mqtt-inputs.js';

/** A connection whose client hung up must be closed by then. */
const CLOSE_MS = 2000;
/** Event-loop turns the broker gets to answer before the client hangs up. */
const SETTLE_TURNS = 8;
/** Inputs between two checks that the broker still serves. */
const CHECK_EVERY = 100;
const SESSION_EXPIRY_SECONDS = 2;

/** One or two connections at once (two may take each other over). */
const inputs = fc.array(clientStream, { minLength: 1, maxLength: 2 });

/**
 * Clients that stay connected for the whole run, subscribed (QoS 0, nothing to acknowledge) to
 * everything the fuzzed clients may publish: whatever others send must never close them.
 */
const BYSTANDERS: Array<{ username: string; filters: string[] }> = [
  {
    username: IDS.registry,
    filters: ['$devices/#', `$registries/${IDS.registry}/#`, 'home/#', 'glued/#', 'long/#', `$monitoring/${IDS.device}/json`],
  },
  { username: IDS.device, filters: ['$me/device/#', `$registries/${IDS.registry}/#`, 'cmd/#'] },
  { username: IDS.broker, filters: ['#'] },
];

async function start() {
  // The edge as `iotcore serve` runs it by default: MQTT state in LevelDB (here in a temporary
  // directory) with the default bounds on persistent sessions, but for their expiry. Without
  // bounds the fuzzed clients' persistent sessions queued every QoS 1 message in memory for ever;
  // with the default 2 hours their sessions (random client IDs) would pile up over a run, each
  // offline one storing every message it matches. 2 s keeps them few and the expiry sweep busy.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-fuzz-mqtt-'));
  const state = await embeddedMqttPersistence(dataDir);
  const defaults = resolveServeConfig({});
  const edge = await startEdge({
    link: inMemoryRegistryLink(),
    logger: pino({ level: 'silent' }),
    maxMessageBytes: defaults.maxMessageBytes,
    maxSubscriptions: defaults.maxSubscriptions,
    persistence: state.persistence,
    permanentTopics: state.permanentTopics,
    sessionLimits: {
      maxQueuedMessages: defaults.maxQueuedMessages,
      maxQueuedBytes: defaults.maxQueuedBytes,
      expirySeconds: SESSION_EXPIRY_SECONDS,
      queued: state.queued,
      ledger: state.sessions,
    },
  });
  const bystanders = await Promise.all(BYSTANDERS.map((_, index) => connectBystander(edge, index)));
  let served = 0;
  return {
    inputs,
    async check(streams: ClientStream[]) {
      // Each connection from an address of its own (16 million before they repeat): the brute-force
      // brake then judges each input alone instead of refusing most of a long run.
      const connections = streams.map((stream, index) => open(edge, addressOf(served * 2 + index), stream.certificate));
      served++;
      const chunks = streams.map((stream) => chunksOf(bytesOf(stream), stream.chunkSizes));
      // Chunk by chunk, the connections taking turns, with an event-loop turn in between.
      for (let index = 0; index < Math.max(...chunks.map((list) => list.length)); index++) {
        for (const [which, connection] of connections.entries()) {
          const chunk = chunks[which]![index];
          if (chunk) connection.push(chunk);
        }
        await turn();
      }
      for (let round = 0; round < SETTLE_TURNS && connections.some((connection) => !connection.closed); round++) await turn();
      for (const connection of connections) connection.hangUp();
      await Promise.all(connections.map((connection) => connection.whenClosed(CLOSE_MS)));
      for (const connection of connections) assertConnackFirst(connection.received);
      for (const [index, bystander] of bystanders.entries()) {
        bystander.received.length = 0;
        if (!bystander.closed) continue;
        // Connected again first, so the inputs fast-check tries while shrinking start from the same state.
        bystanders[index] = await connectBystander(edge, index);
        assert.fail(`${BYSTANDERS[index]!.username}'s connection was closed by other clients' traffic`);
      }
      if (served % CHECK_EVERY === 0) await assertStillServing(edge);
    },
    async close() {
      await edge.close();
      await state.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The server answers nothing before CONNACK, and nothing after a CONNACK that refuses: "If the
 * Server rejects the CONNECT, it MUST NOT process any data sent by the Client after the CONNECT
 * Packet" [MQTT-3.1.4-5].
 */
function assertConnackFirst(received: mqttPacket.Packet[]): void {
  const [first, ...rest] = received;
  if (!first) return;
  const commands = received.map((packet) => packet.cmd).join(', ');
  assert.equal(first.cmd, 'connack', `answered ${commands}: something before CONNACK`);
  if ((first as mqttPacket.IConnackPacket).returnCode !== 0)
    assert.equal(rest.length, 0, `answered ${commands}: something after a refusing CONNACK`);
}

function addressOf(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function open(edge: RunningEdge, address: string, certificate: string | undefined): MemoryConnection {
  const connection = new MemoryConnection();
  edge.accept(connection, { remoteAddress: address, remotePort: 1883, certificateFingerprint: certificate });
  return connection;
}

const send = (connection: MemoryConnection, packet: mqttPacket.Packet) => connection.push(mqttPacket.generate(packet));

async function connectBystander(edge: RunningEdge, index: number): Promise<MemoryConnection> {
  const connection = await connectAs(edge, BYSTANDERS[index]!.username, `fuzz-bystander-${index}`, `192.0.2.${10 + index}`);
  send(connection, {
    cmd: 'subscribe',
    messageId: 1,
    subscriptions: BYSTANDERS[index]!.filters.map((topic) => ({ topic, qos: 0 as const })),
  });
  await connection.packet((packet) => packet.cmd === 'suback', CLOSE_MS, 'SUBACK');
  return connection;
}

/** A well-formed CONNECT with the right password, accepted. */
async function connectAs(edge: RunningEdge, username: string, clientId: string, address: string): Promise<MemoryConnection> {
  const connection = open(edge, address, undefined);
  send(connection, {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId,
    clean: true,
    keepalive: 0,
    username,
    password: Buffer.from(PASSWORD),
  });
  const connack = await connection.packet((packet) => packet.cmd === 'connack', CLOSE_MS, 'CONNACK');
  assert.equal((connack as mqttPacket.IConnackPacket).returnCode, 0, `CONNACK of ${username}`);
  return connection;
}

/** The registry subscribes to the device's events, the device publishes one at QoS 1, the registry gets it. */
async function assertStillServing(edge: RunningEdge): Promise<void> {
  const connect = (username: string, address: string) => connectAs(edge, username, 'still-serving', address);
  const events = `$devices/${IDS.device}/events`;
  const registry = await connect(IDS.registry, '192.0.2.1');
  send(registry, { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: events, qos: 1 }] });
  const suback = await registry.packet((packet) => packet.cmd === 'suback', CLOSE_MS, 'SUBACK');
  assert.deepEqual((suback as mqttPacket.ISubackPacket).granted, [1]);
  const device = await connect(IDS.device, '192.0.2.2');
  const payload = `still serving ${Date.now()}`;
  send(device, { cmd: 'publish', topic: events, payload, qos: 1, messageId: 7, retain: false, dup: false });
  await device.packet((packet) => packet.cmd === 'puback' && packet.messageId === 7, CLOSE_MS, 'PUBACK');
  await registry.packet((packet) => packet.cmd === 'publish' && packet.payload.toString() === payload, CLOSE_MS, 'the published message');
  for (const connection of [registry, device]) {
    send(connection, { cmd: 'disconnect' });
    await connection.whenClosed(CLOSE_MS);
  }
}

export const mqttPacketsTarget: FuzzTarget<ClientStream[]> = {
  name: 'mqtt-packets',
  summary:
    'damaged/random MQTT 3.1.1 byte streams into an in-process edge: no crash, connections closed, CONNACK first, bystanders stay, still serving',
  start,
};
