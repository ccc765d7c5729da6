// Registry consumers side by side, on the device traffic of telemetry.ts:
//  * IOTCORE_CONSUMERS clean-session consumers (default 2) stay connected throughout; the first
//    uses the client ID `YCCmdLine`, which every device uses too: Yandex (and iotcore) take over
//    sessions per principal and client ID, so a registry and its devices may share one, as the
//    yc CLI does;
//  * IOTCORE_PERSISTENT persistent consumers (default 1; clean session = 0, QoS 1) go offline a
//    third into the window for IOTCORE_OFFLINE_SECONDS (5), come back without subscribing again,
//    and must get every message published meanwhile from their session (session_resumed).
// Yandex itself keeps no persistent sessions (docs/yandex-behaviour.md §4.4); iotcore does, and this checks it.
//   npm run loadtest:k6 -- consumers --devices 100 --rate 1 --duration 30s [--consumers 2] [--persistent 1] [--offline 5]
import exec from 'k6/execution';
import { config, trendStats } from './lib/fleet.ts';
import { CONSUMER_LEAD_MS, consumeTelemetry, maxDuration, publishTelemetry } from './lib/telemetry.ts';

const CLEAN = Number(__ENV.IOTCORE_CONSUMERS || '2');
const PERSISTENT = Number(__ENV.IOTCORE_PERSISTENT || '1');
const OFFLINE_MS = Number(__ENV.IOTCORE_OFFLINE_SECONDS || '5') * 1000;
const SHARED_CLIENT_ID = 'YCCmdLine';

const thresholds: Record<string, string[]> = {
  mqtt_errors: ['rate<0.01'],
  // the broker closed a consumer's connection (it reconnects, resuming its session, and goes on)
  consumer_connection_lost: ['count==0'],
  'telemetry_delivered{session:clean}': ['rate>0.999'],
  'e2e_latency{session:clean}': [`p(99)<${config.p99Ms}`],
};
if (PERSISTENT > 0) {
  // Queued messages arrive late by design: they must all arrive, and soon after the consumer is back.
  thresholds['telemetry_delivered{session:persistent}'] = ['rate>0.999'];
  thresholds['e2e_latency{session:persistent}'] = [`max<${OFFLINE_MS + 10_000}`];
  thresholds.session_resumed = ['rate==1'];
}

export const options = {
  summaryTrendStats: trendStats,
  scenarios: {
    consumers: { executor: 'per-vu-iterations', vus: CLEAN + PERSISTENT, iterations: 1, exec: 'consume', maxDuration: maxDuration() },
    devices: {
      executor: 'per-vu-iterations',
      vus: config.devices,
      iterations: 1,
      exec: 'publish',
      startTime: `${CONSUMER_LEAD_MS}ms`,
      maxDuration: maxDuration(),
    },
  },
  thresholds,
};

export function consume(): void {
  const index = exec.scenario.iterationInTest;
  if (index < CLEAN) {
    consumeTelemetry({ clientId: index === 0 ? SHARED_CLIENT_ID : `k6-consumer-clean-${index}`, session: 'clean' });
  } else {
    consumeTelemetry({ clientId: `k6-consumer-persistent-${index - CLEAN}`, session: 'persistent', offlineMs: OFFLINE_MS });
  }
}

export function publish(): void {
  publishTelemetry(SHARED_CLIENT_ID);
}
