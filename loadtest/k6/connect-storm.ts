// Connect storm, as after a migration: every device connects (password over TLS) as fast as the
// broker accepts, disconnects, and connects again; the second round is the reconnect storm.
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { deviceClient, devices } from './lib/fleet.ts';

const connectTime = new Trend('connect_time', true);
const connects = new Counter('connects');
const failures = new Rate('connect_failures');

export const options = {
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  scenarios: {
    storm: { executor: 'shared-iterations', vus: Number(__ENV.IOTCORE_STORM_VUS ?? '100'), iterations: devices * 2, maxDuration: '10m' },
  },
  thresholds: {
    connect_failures: ['rate<0.01'],
    'connect_time{round:first}': ['p(99)<60000'],
    'connect_time{round:reconnect}': ['p(99)<5000'],
  },
};

export default function (): void {
  const iteration = exec.scenario.iterationInTest;
  const round = iteration < devices ? 'first' : 'reconnect';
  const client = deviceClient(iteration % devices, `k6-storm-${iteration % devices}`);
  const started = Date.now();
  try {
    client.connect();
    connectTime.add(Date.now() - started, { round });
    connects.add(1, { round });
    failures.add(false, { round });
  } catch (error) {
    failures.add(true, { round });
    console.warn(`device ${iteration % devices}: ${error}`);
  }
  client.close();
}
