// Device telemetry: every device (one VU each, password over TLS) publishes QoS 1 events to
// $devices/<id>/events at IOTCORE_RATE messages/s; one registry consumer subscribed to
// $devices/+/events measures end-to-end latency from the send time in each payload and which
// messages never arrived (per-device sequence numbers).
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Client } from 'k6/x/mqtt';
import { deviceClient, deviceId, devices, duration, fleet, ratePerDevice, registryClient, seconds } from './lib/fleet.ts';

const e2eLatency = new Trend('e2e_latency', true);
const sent = new Counter('telemetry_sent');
const received = new Counter('telemetry_received');
const delivered = new Rate('telemetry_delivered');
const failures = new Rate('mqtt_failures');

const GRACE_SECONDS = 5;

export const options = {
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  scenarios: {
    consumer: { executor: 'per-vu-iterations', vus: 1, iterations: 1, exec: 'consume', maxDuration: `${seconds(duration) + 2 * GRACE_SECONDS + 30}s` },
    devices: { executor: 'constant-vus', vus: devices, duration, exec: 'publish', startTime: `${GRACE_SECONDS}s` },
  },
  thresholds: {
    mqtt_failures: ['rate<0.01'],
    telemetry_delivered: ['rate>0.999'],
    e2e_latency: ['p(99)<1000'],
  },
};

let client: Client | undefined;
let sequence = 0;

export function publish(): void {
  const index = (exec.vu.idInTest - 2 + fleet.devices.length) % fleet.devices.length;
  try {
    if (!client) {
      client = deviceClient(index);
      client.connect();
    }
    client.publish(`$devices/${deviceId(index)}/events`, 1, JSON.stringify({ t: Date.now(), d: index, n: sequence++ }));
    sent.add(1);
    failures.add(false);
  } catch (error) {
    failures.add(true);
    console.warn(`device ${index}: ${error}`);
    client = undefined;
  }
  sleep(1 / ratePerDevice);
}

export function consume(): void {
  const consumer = registryClient('k6-telemetry-consumer');
  consumer.connect();
  consumer.subscribe('$devices/+/events', 1);
  const counts = new Map<number, { count: number; last: number }>();
  const end = Date.now() + (seconds(duration) + 2 * GRACE_SECONDS) * 1000;
  while (Date.now() < end) {
    const message = consumer.receive(500);
    if (!message) continue;
    const { t, d, n } = JSON.parse(message.payload) as { t: number; d: number; n: number };
    e2eLatency.add(Date.now() - t);
    received.add(1);
    const seen = counts.get(d) ?? { count: 0, last: -1 };
    counts.set(d, { count: seen.count + 1, last: Math.max(seen.last, n) });
  }
  // Every sequence number up to the last one seen per device should have arrived.
  for (const { count, last } of counts.values()) {
    for (let i = 0; i < count; i++) delivered.add(true);
    for (let i = count; i <= last; i++) delivered.add(false);
  }
  if (consumer.dropped() > 0) console.warn(`consumer inbox overflowed: ${consumer.dropped()} messages not measured`);
  consumer.close();
}
