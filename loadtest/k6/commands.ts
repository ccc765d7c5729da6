// Command round trips: devices subscribe to $devices/<id>/commands and answer each command on
// $devices/<id>/events/replies; the registry sends commands to the devices in turn (QoS 1) and
// measures the time until the answer arrives.
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Client } from 'k6/x/mqtt';
import { deviceClient, deviceId, devices, duration, registryClient, seconds } from './lib/fleet.ts';

const roundTrip = new Trend('command_rtt', true);
const answered = new Rate('command_answered');
const commandsSent = new Counter('commands_sent');
const failures = new Rate('mqtt_failures');

const COMMANDERS = Number(__ENV.IOTCORE_COMMANDERS ?? '4');
const STARTUP_SECONDS = 5;

export const options = {
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  scenarios: {
    devices: { executor: 'per-vu-iterations', vus: devices, iterations: 1, exec: 'answer', maxDuration: `${seconds(duration) + STARTUP_SECONDS + 30}s` },
    registry: { executor: 'constant-vus', vus: COMMANDERS, duration, exec: 'command', startTime: `${STARTUP_SECONDS}s` },
  },
  thresholds: {
    mqtt_failures: ['rate<0.01'],
    command_answered: ['rate>0.999'],
    command_rtt: ['p(99)<1000'],
  },
};

export function answer(): void {
  const index = exec.vu.idInTest - 1;
  const device = deviceClient(index);
  try {
    device.connect();
    device.subscribe(`$devices/${deviceId(index)}/commands`, 1);
    failures.add(false);
  } catch (error) {
    failures.add(true);
    console.warn(`device ${index}: ${error}`);
    return;
  }
  const end = Date.now() + (seconds(duration) + STARTUP_SECONDS + 10) * 1000;
  while (Date.now() < end) {
    const command = device.receive(500);
    if (command) device.publish(`$devices/${deviceId(index)}/events/replies`, 1, command.payload);
  }
  device.close();
}

let commander: Client | undefined;
let turn = 0;

export function command(): void {
  if (!commander) {
    commander = registryClient(`k6-commander-${exec.vu.idInTest}`);
    commander.connect();
    commander.subscribe('$devices/+/events/replies', 1);
  }
  // Each commander serves its own share of the devices, so an answer is always its own.
  const slot = exec.vu.idInTest - devices - 1;
  const index = (slot + COMMANDERS * turn++) % devices;
  const id = `${exec.vu.idInTest}-${turn}`;
  const started = Date.now();
  try {
    commander.publish(`$devices/${deviceId(index)}/commands`, 1, JSON.stringify({ id, t: started }));
    commandsSent.add(1);
    failures.add(false);
  } catch (error) {
    failures.add(true);
    return;
  }
  const deadline = started + 5000;
  while (Date.now() < deadline) {
    const reply = commander.receive(deadline - Date.now());
    if (reply && (JSON.parse(reply.payload) as { id: string }).id === id) {
      roundTrip.add(Date.now() - started);
      answered.add(true);
      return;
    }
  }
  answered.add(false);
}
