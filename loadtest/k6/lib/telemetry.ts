// Device telemetry and the registry consumers that read it, shared by telemetry.ts and consumers.ts.
//
// Each device publishes to its own `$devices/<id>/events` (the only events topic a device may
// publish to; a forbidden publish would close its connection) at `config.rate` messages/s for the
// measured window, then one final message carrying how many it sent. Every payload carries the
// run ID, the device index, a sequence number and `Date.now()`, so a consumer subscribed to
// `$devices/+/events` measures end-to-end latency (`e2e_latency`) and, per device, which sequence
// numbers never arrived (`telemetry_delivered`).
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Client } from 'k6/x/mqtt';
import { config, device, deviceClient, reason, registryClient, sleepUntil } from './fleet.ts';

export const e2eLatency = new Trend('e2e_latency', true);
const sent = new Counter('telemetry_sent');
const received = new Counter('telemetry_received');
const duplicates = new Counter('telemetry_duplicates');
const delivered = new Rate('telemetry_delivered');
const overflow = new Counter('telemetry_inbox_overflow');
/** Persistent consumers: CONNACK said "session present" when they came back. */
const sessionResumed = new Rate('session_resumed');
/** Consumer connections the broker closed (the consumer reconnects, as a real one would). */
const connectionLost = new Counter('consumer_connection_lost');

/** How long the consumers wait after the window for late messages and final markers. */
export const GRACE_MS = 10_000;
/** The consumers start first; the devices scenario starts this much later. */
export const CONSUMER_LEAD_MS = 2_000;

interface Payload {
  /** run ID */
  r: string;
  /** device index */
  d: number;
  /** sequence number; in the final message, how many were sent */
  n: number;
  /** send time, ms since the epoch */
  t: number;
  /** final message */
  f?: 1;
  /** padding up to config.payloadBytes */
  p?: string;
}

function encode(payload: Payload): string {
  const text = JSON.stringify(payload);
  if (text.length >= config.payloadBytes) return text;
  return JSON.stringify({ ...payload, p: 'x'.repeat(Math.max(0, config.payloadBytes - text.length - 7)) });
}

/** A scenario's maxDuration: everything above plus a minute of slack. */
export function maxDuration(): string {
  return `${Math.ceil((CONSUMER_LEAD_MS + config.warmupMs + config.durationMs + GRACE_MS) / 1000) + 60}s`;
}

/** When the measured window of the devices scenario starts and ends (ms since the epoch). */
export function deviceWindow(devicesScenarioStart: number): { start: number; end: number } {
  const start = devicesScenarioStart + config.warmupMs;
  return { start, end: start + config.durationMs };
}

/**
 * One device (the scenario's iteration number): connect, publish on schedule through the window
 * (open loop, devices spread evenly over each interval), then the final message and disconnect.
 */
export function publishTelemetry(clientId?: string): void {
  const index = exec.scenario.iterationInTest;
  const { id } = device(index);
  const topic = `$devices/${id}/events`;
  const newClient = () => deviceClient(index, { clientId: clientId ?? `k6-device-${index}` });
  let client: Client | undefined = newClient();
  try {
    client.connect();
  } catch (error) {
    console.warn(`device ${index}: ${reason(error)}`);
    return;
  }
  const { start, end } = deviceWindow(exec.scenario.startTime);
  const interval = 1000 / config.rate;
  let next = start + (index / config.devices) * interval;
  let count = 0;
  while (next < end) {
    sleepUntil(next);
    next += interval;
    try {
      if (!client) {
        client = newClient();
        client.connect();
      }
      client.publish(topic, config.qos, encode({ r: config.runId, d: index, n: count, t: Date.now() }));
      count++;
      sent.add(1);
    } catch (error) {
      console.warn(`device ${index}: ${reason(error)}`);
      client?.close();
      client = undefined; // reconnect for the next message
    }
  }
  try {
    if (!client) {
      client = newClient();
      client.connect();
    }
    client.publish(topic, 1, encode({ r: config.runId, d: index, n: count, t: Date.now(), f: 1 }));
  } catch (error) {
    console.warn(`device ${index}: final message: ${reason(error)}`);
  }
  client?.close();
}

export interface ConsumerSettings {
  clientId: string;
  /** `clean` or `persistent` (clean session = 0, QoS 1, goes offline for a while mid-window). */
  session: 'clean' | 'persistent';
  /** For persistent consumers: how long they stay offline, starting a third into the window. */
  offlineMs?: number;
}

/** What one consumer saw of one device: distinct sequence numbers, and the final count once known. */
interface DeviceTally {
  seen: Set<number>;
  last: number;
  total?: number;
}

/**
 * One registry consumer subscribed to `$devices/+/events` from the start until every device's
 * final message arrived (or the window plus a grace period passed); then adds, per device, one
 * `telemetry_delivered` sample per message sent: true if it arrived.
 */
export function consumeTelemetry(settings: ConsumerSettings): void {
  const tags = { session: settings.session };
  const persistent = settings.session === 'persistent';
  const devicesStart = exec.scenario.startTime + CONSUMER_LEAD_MS;
  const { start, end } = deviceWindow(devicesStart);
  const deadline = end + GRACE_MS;
  const tallies = new Map<number, DeviceTally>();
  let finals = 0;

  const connectAs = (clean: boolean): { client: Client; sessionPresent: boolean } => {
    const client = registryClient({ clientId: settings.clientId, cleanSession: clean, inboxSize: 200_000, tags });
    return { client, sessionPresent: client.connect() };
  };
  let client: Client;
  try {
    // A persistent consumer starts from an empty session: an earlier run may have left one behind.
    if (persistent) connectAs(true).client.close();
    client = connectAs(!persistent).client;
    client.subscribe('$devices/+/events', 1);
  } catch (error) {
    console.error(`consumer ${settings.clientId}: ${reason(error)}`);
    delivered.add(false, tags); // fails the delivery threshold: nothing was measured
    return;
  }

  const take = (message: { topic: string; payload: string }): void => {
    let payload: Payload;
    try {
      payload = JSON.parse(message.payload) as Payload;
    } catch {
      return; // not ours
    }
    if (payload.r !== config.runId) return; // another run's message (e.g. queued for a persistent session)
    const tally = tallies.get(payload.d) ?? { seen: new Set<number>(), last: -1 };
    tallies.set(payload.d, tally);
    if (payload.f) {
      if (tally.total === undefined) finals++;
      tally.total = payload.n;
      return;
    }
    if (tally.seen.has(payload.n)) {
      duplicates.add(1, tags);
      return;
    }
    tally.seen.add(payload.n);
    tally.last = Math.max(tally.last, payload.n);
    received.add(1, tags);
    e2eLatency.add(Date.now() - payload.t, tags);
  };

  /** After the broker closed the connection: a persistent consumer resumes its session, a clean one subscribes again. */
  const reconnect = (error: unknown): void => {
    connectionLost.add(1, tags);
    console.warn(`consumer ${settings.clientId}: ${reason(error)}; reconnecting`);
    for (let attempt = 1; ; attempt++) {
      try {
        const back = connectAs(!persistent);
        client = back.client;
        if (!back.sessionPresent) client.subscribe('$devices/+/events', 1);
        return;
      } catch (retryError) {
        if (attempt === 5) throw retryError;
        sleepUntil(Date.now() + 1000);
      }
    }
  };

  const receiveUntil = (until: number): void => {
    while (Date.now() < until && finals < config.devices) {
      try {
        const message = client.receive(Math.min(500, Math.max(1, until - Date.now())));
        if (message) take(message);
      } catch (error) {
        reconnect(error);
      }
    }
  };

  try {
    if (persistent && settings.offlineMs) {
      const offlineAt = start + (end - start) / 3;
      receiveUntil(offlineAt);
      // Drain what already arrived, then go offline: QoS 1 messages meanwhile are queued for us.
      for (let message = client.receive(0); message; message = client.receive(0)) take(message);
      client.close();
      // What arrived (and was acknowledged) while disconnecting is still in the inbox.
      for (let message = client.receive(0); message; message = client.receive(0)) take(message);
      sleepUntil(offlineAt + settings.offlineMs);
      const back = connectAs(false);
      sessionResumed.add(back.sessionPresent, tags); // no subscribe(): the session has it
      client = back.client;
    }
    receiveUntil(deadline);
    // Messages handed over just before the last final message.
    for (let message = client.receive(200); message; message = client.receive(200)) take(message);
  } catch (error) {
    console.warn(`consumer ${settings.clientId}: ${reason(error)}`);
  }
  if (client.dropped() > 0) overflow.add(client.dropped(), tags);
  client.close();
  try {
    if (persistent) connectAs(true).client.close(); // leave no session (and no queue) behind
  } catch (error) {
    console.warn(`consumer ${settings.clientId}: could not discard its session: ${reason(error)}`);
  }

  // Per device: its messages and its final message. Without the final message, what the device
  // sent is estimated from its schedule (publishTelemetry's loop), at least up to the last number seen.
  const interval = 1000 / config.rate;
  const scheduled = (index: number): number => {
    let count = 0;
    for (let next = start + (index / config.devices) * interval; next < end; next += interval) count++;
    return count;
  };
  for (let index = 0; index < config.devices; index++) {
    const tally = tallies.get(index);
    const final = tally?.total !== undefined;
    const expected = (final ? tally!.total! : Math.max(tally ? tally.last + 1 : 0, scheduled(index))) + 1;
    const arrived = (tally ? tally.seen.size : 0) + (final ? 1 : 0);
    for (let i = 0; i < arrived; i++) delivered.add(true, tags);
    for (let i = arrived; i < expected; i++) delivered.add(false, tags);
  }
  const silent = config.devices - tallies.size;
  if (silent > 0) console.warn(`consumer ${settings.clientId}: nothing at all from ${silent} devices (counted as lost; see mqtt_errors)`);
  if (finals < tallies.size)
    console.warn(
      `consumer ${settings.clientId}: no final message from ${tallies.size - finals} devices (their messages estimated from the schedule)`,
    );
}
