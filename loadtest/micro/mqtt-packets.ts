// Subject `mqtt-packet`: parsing and generating one QoS 1 PUBLISH with mqtt-packet, the library aedes
// reads and writes every packet with. Not our code: a reference row, to see the other subjects'
// figures against the cost of the packet itself.
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import type { Case } from './measure.js';
import { deviceId } from './fixtures.js';

const PAYLOAD_BYTES = 100;

export function mqttPacketCases(): Case[] {
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: `$devices/${deviceId(0)}/events`,
    payload: Buffer.alloc(PAYLOAD_BYTES, 'x'),
    qos: 1,
    messageId: 42,
    dup: false,
    retain: false,
  };
  const bytes = mqttPacket.generate(packet);
  const label = `PUBLISH QoS 1, ${PAYLOAD_BYTES}-byte payload (${bytes.length} bytes)`;
  return [
    { name: `generate, ${label}`, run: (n) => generating(packet, n) },
    { name: `parse, ${label}`, run: parsing(bytes) },
  ];
}

function generating(packet: IPublishPacket, n: number): number {
  let length = 0;
  for (let i = 0; i < n; i++) length += mqttPacket.generate(packet).length;
  return length;
}

function parsing(bytes: Buffer): Case['run'] {
  // One parser, as for a connection: each parse call gets one whole packet and emits it.
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let parsed = 0;
  parser.on('packet', () => parsed++);
  return (n) => {
    for (let i = 0; i < n; i++) parser.parse(bytes);
    return parsed;
  };
}
