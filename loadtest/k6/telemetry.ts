// Device telemetry: every device (one VU each, password over TLS) publishes to
// $devices/<id>/events at IOTCORE_RATE messages/s through the window; IOTCORE_CONSUMERS registry
// consumers (clean sessions) subscribed to $devices/+/events measure end-to-end latency from the
// send time in each payload and which messages never arrived (lib/telemetry.ts).
//   npm run loadtest:k6 -- telemetry --devices 200 --rate 2 --duration 30s [--consumers 1] [--qos 1]
import exec from 'k6/execution';
import { config, trendStats } from './lib/fleet.ts';
import { CONSUMER_LEAD_MS, consumeTelemetry, maxDuration, publishTelemetry } from './lib/telemetry.ts';

const CONSUMERS = Number(__ENV.IOTCORE_CONSUMERS || '1');

export const options = {
  summaryTrendStats: trendStats,
  scenarios: {
    consumers: { executor: 'per-vu-iterations', vus: CONSUMERS, iterations: 1, exec: 'consume', maxDuration: maxDuration() },
    devices: {
      executor: 'per-vu-iterations',
      vus: config.devices,
      iterations: 1,
      exec: 'publish',
      startTime: `${CONSUMER_LEAD_MS}ms`,
      maxDuration: maxDuration(),
    },
  },
  thresholds: {
    // connect, subscribe and publish calls that failed (CONNACK refusals, lost connections, no PUBACK)
    mqtt_errors: ['rate<0.01'],
    // the broker closed a consumer's connection (it reconnects and goes on)
    consumer_connection_lost: ['count==0'],
    telemetry_delivered: ['rate>0.999'],
    e2e_latency: [`p(99)<${config.p99Ms}`],
  },
};

export function consume(): void {
  consumeTelemetry({ clientId: `k6-telemetry-consumer-${exec.scenario.iterationInTest}`, session: 'clean' });
}

export function publish(): void {
  publishTelemetry();
}
