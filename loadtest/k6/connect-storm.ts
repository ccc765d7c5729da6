// Connect storm, as after a migration or a broker restart: every device (one VU each, password
// over TLS) connects at the same moment; the fleet stays connected for IOTCORE_DURATION, then every
// device disconnects and, two seconds later, all connect again (the reconnect storm: iotcore has
// verified these passwords before). Measures each CONNECT until its CONNACK (connect_time), which
// connects failed (connect_failures: refusals, timeouts), and how long after the storm's start
// each device was connected (storm_elapsed: its max is the time the whole fleet took), per round.
// --duration must be longer than the first round takes (storm_late counts devices that were not).
//   npm run loadtest:k6 -- connect-storm --devices 1000 --duration 60s
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Client } from 'k6/x/mqtt';
import { config, deviceClient, reason, sleepUntil, trendStats } from './lib/fleet.ts';

const connectTime = new Trend('connect_time', true);
const stormElapsed = new Trend('storm_elapsed', true);
const connects = new Counter('connects');
const failures = new Rate('connect_failures');
/** Devices still in the first round when the reconnect storm was due: raise --duration. */
const late = new Counter('storm_late');

/** Between the disconnect and the reconnect storm. */
const PAUSE_MS = 2_000;
const CONNECT_TIMEOUT_MS = 60_000;

export const options = {
  summaryTrendStats: trendStats,
  scenarios: {
    storm: {
      executor: 'per-vu-iterations',
      vus: config.devices,
      iterations: 1,
      maxDuration: `${Math.ceil((config.durationMs + PAUSE_MS + 2 * CONNECT_TIMEOUT_MS) / 1000) + 60}s`,
    },
  },
  thresholds: {
    connect_failures: ['rate<0.01'],
    'connect_failures{round:first}': ['rate<0.01'],
    'connect_failures{round:reconnect}': ['rate<0.01'],
    // the first round hashes every password under the storm; past 30 s, devices with a common
    // connect timeout (paho's, mqtt.js') would give up and retry; a reconnect is cheaper
    'connect_time{round:first}': ['p(99)<30000'],
    'connect_time{round:reconnect}': ['p(99)<5000'],
    // the whole fleet connected within (max = the last device)
    'storm_elapsed{round:first}': ['max<60000'],
    'storm_elapsed{round:reconnect}': ['max<30000'],
  },
};

function connect(index: number, round: 'first' | 'reconnect', roundStart: number | undefined): Client | undefined {
  const client = deviceClient(index, { clientId: `k6-storm-${index}`, timeoutMs: CONNECT_TIMEOUT_MS, tags: { round } });
  const started = Date.now();
  try {
    client.connect();
  } catch (error) {
    failures.add(true, { round });
    console.warn(`device ${index} (${round}): ${reason(error)}`);
    return undefined;
  }
  const now = Date.now();
  connectTime.add(now - started, { round });
  if (roundStart !== undefined) stormElapsed.add(now - roundStart, { round });
  connects.add(1, { round });
  failures.add(false, { round });
  return client;
}

export default function (): void {
  const index = exec.scenario.iterationInTest;
  // All VUs are initialised before the scenario starts, so this is everyone's start signal.
  const firstStart = exec.scenario.startTime;
  const first = connect(index, 'first', firstStart);
  // Stay connected for the hold time, then disconnect and reconnect all together.
  const disconnectAt = firstStart + config.durationMs;
  const reconnectAt = disconnectAt + PAUSE_MS;
  const onTime = Date.now() < reconnectAt;
  if (!onTime) {
    // This device joins the reconnect round late: its time since the round's start would say
    // nothing about the broker, so it is not in storm_elapsed.
    late.add(1);
    if (index % 100 === 0)
      console.warn(`device ${index}: first round ended after the reconnect storm was due; pass a --duration above the first round's time`);
  }
  sleepUntil(disconnectAt);
  first?.close();
  sleepUntil(reconnectAt);
  const second = connect(index, 'reconnect', onTime ? reconnectAt : undefined);
  sleepUntil(Date.now() + 1_000);
  second?.close();
}
