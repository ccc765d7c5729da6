// Command round trips. Every device (one VU each) subscribes to $devices/<id>/commands and answers
// each command on $devices/<id>/events/replies/<commander>; IOTCORE_COMMANDERS registry
// connections (default 4) each serve their share of the devices, sending every device
// IOTCORE_RATE commands/s (open loop, spread evenly), and measure the time from sending a command
// to its answer (command_rtt); at the end each tells its devices to stop. Both directions are
// what the ACL allows: the registry publishes to $devices/<id>/commands and reads
// $devices/+/events/…; a device reads its own commands and publishes its own events.
//   npm run loadtest:k6 -- commands --devices 200 --rate 1 --duration 30s [--commanders 4] [--qos 1]
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Client } from 'k6/x/mqtt';
import { config, device, deviceClient, reason, registryClient, sleepUntil, trendStats } from './lib/fleet.ts';

const commandRtt = new Trend('command_rtt', true);
const answered = new Rate('commands_answered');
const commandsSent = new Counter('commands_sent');
const strayReplies = new Counter('commands_stray_replies');

const COMMANDERS = Math.max(1, Number(__ENV.IOTCORE_COMMANDERS || '4'));
/** The devices scenario starts this much after the commanders have connected. */
const DEVICES_START_MS = 2_000;
/** How long a command may take to be answered. */
const ANSWER_TIMEOUT_MS = 10_000;
const maxDuration = `${Math.ceil((DEVICES_START_MS + config.warmupMs + config.durationMs + ANSWER_TIMEOUT_MS) / 1000) + 60}s`;

export const options = {
  summaryTrendStats: trendStats,
  scenarios: {
    registry: { executor: 'per-vu-iterations', vus: COMMANDERS, iterations: 1, exec: 'command', maxDuration },
    devices: {
      executor: 'per-vu-iterations',
      vus: config.devices,
      iterations: 1,
      exec: 'answer',
      startTime: `${DEVICES_START_MS}ms`,
      maxDuration,
    },
  },
  thresholds: {
    mqtt_errors: ['rate<0.01'],
    commands_answered: ['rate>0.999'],
    command_rtt: [`p(99)<${config.p99Ms}`],
  },
};

interface Command {
  r: string;
  /** commander slot: the reply subtopic */
  c: number;
  /** command number within the commander */
  n: number;
  t: number;
  /** the last command of the run to this device: stop answering */
  stop?: 1;
}

/** The window in which commands are sent: after the devices had time to connect and subscribe. */
function window(commandersStart: number): { start: number; end: number } {
  const start = commandersStart + DEVICES_START_MS + config.warmupMs;
  return { start, end: start + config.durationMs };
}

export function answer(): void {
  const index = exec.scenario.iterationInTest;
  const { id } = device(index);
  const client = deviceClient(index, { clientId: `k6-device-${index}` });
  try {
    client.connect();
    client.subscribe(`$devices/${id}/commands`, config.qos);
  } catch (error) {
    console.warn(`device ${index}: ${reason(error)}`);
    return;
  }
  // This scenario started DEVICES_START_MS after the commanders' scenario.
  const { end } = window(exec.scenario.startTime - DEVICES_START_MS);
  const stop = end + ANSWER_TIMEOUT_MS;
  try {
    while (Date.now() < stop) {
      const message = client.receive(Math.min(1000, Math.max(1, stop - Date.now())));
      if (!message) continue;
      const command = JSON.parse(message.payload) as Command;
      if (command.stop && command.r === config.runId) break;
      client.publish(`$devices/${id}/events/replies/${command.c}`, config.qos, message.payload);
    }
  } catch (error) {
    console.warn(`device ${index}: ${reason(error)}`);
  }
  client.close();
}

export function command(): void {
  const slot = exec.scenario.iterationInTest;
  const mine: string[] = [];
  for (let index = slot; index < config.devices; index += COMMANDERS) mine.push(device(index).id);
  if (mine.length === 0) return;
  let client: Client;
  try {
    client = registryClient({ clientId: `k6-commander-${slot}`, inboxSize: 100_000 });
    client.connect();
    client.subscribe(`$devices/+/events/replies/${slot}`, config.qos);
  } catch (error) {
    console.error(`commander ${slot}: ${reason(error)}`);
    answered.add(false); // nothing was measured: fail the threshold
    return;
  }
  const { start, end } = window(exec.scenario.startTime);
  const interval = 1000 / (config.rate * mine.length);
  /** command number → send time, until answered */
  const outstanding = new Map<number, number>();
  const take = (payload: string): void => {
    const reply = JSON.parse(payload) as Command;
    const sentAt = reply.r === config.runId && reply.c === slot ? outstanding.get(reply.n) : undefined;
    if (sentAt === undefined) {
      strayReplies.add(1); // a duplicate, or an answer to another run
      return;
    }
    outstanding.delete(reply.n);
    commandRtt.add(Date.now() - sentAt);
    answered.add(true);
  };
  const receiveUntil = (until: number): void => {
    for (let wait = until - Date.now(); wait > 0; wait = until - Date.now()) {
      const message = client.receive(wait);
      if (message) take(message.payload);
    }
  };

  let n = 0;
  try {
    sleepUntil(start + (slot / COMMANDERS) * interval);
    for (let next = Date.now(); next < end; next += interval) {
      receiveUntil(next);
      const t = Date.now();
      const topic = `$devices/${mine[n % mine.length]}/commands`;
      const payload: Command = { r: config.runId, c: slot, n, t };
      outstanding.set(n, t);
      n++;
      client.publish(topic, config.qos, JSON.stringify(payload));
      commandsSent.add(1);
    }
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    while (outstanding.size > 0 && Date.now() < deadline) {
      const message = client.receive(Math.max(1, deadline - Date.now()));
      if (message) take(message.payload);
    }
  } catch (error) {
    console.warn(`commander ${slot}: ${reason(error)}`);
  }
  for (let i = 0; i < outstanding.size; i++) answered.add(false);
  // Let this commander's devices end now rather than at their deadline.
  try {
    for (const id of mine)
      client.publish(`$devices/${id}/commands`, 1, JSON.stringify({ r: config.runId, c: slot, n: -1, t: Date.now(), stop: 1 }));
  } catch (error) {
    console.warn(`commander ${slot}: stop: ${reason(error)}`);
  }
  client.close();
}
