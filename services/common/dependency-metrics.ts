// Latency and errors of the calls a process makes to what it depends on (Redis, MongoDB, the
// registry service), one histogram and one counter labelled by dependency and operation. Operation
// names come from code (a gRPC method, a MongoDB command name, "publish"), never from user input,
// so the label sets stay small.
import { Counter, Histogram } from 'prom-client';
import type { MongoClient } from 'mongodb';

export type Dependency = 'redis' | 'mongo' | 'registry';

const duration = new Histogram({
  name: 'iotcore_dependency_call_duration_seconds',
  help: 'time of calls to Redis, MongoDB and the registry service, by operation',
  labelNames: ['dependency', 'operation'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});
const errors = new Counter({
  name: 'iotcore_dependency_errors_total',
  help: 'failed calls to Redis, MongoDB and the registry service, by operation',
  labelNames: ['dependency', 'operation'],
});

function recordCall(dependency: Dependency, operation: string, seconds: number, failed: boolean): void {
  duration.observe({ dependency, operation }, seconds);
  if (failed) errors.inc({ dependency, operation });
}

/** Runs a call and records how long it took and whether it failed. */
export async function timed<T>(dependency: Dependency, operation: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await call();
    recordCall(dependency, operation, (performance.now() - started) / 1000, false);
    return result;
  } catch (error) {
    recordCall(dependency, operation, (performance.now() - started) / 1000, true);
    throw error;
  }
}

/** Records every MongoDB command of a client created with `monitorCommands: true`. */
export function recordMongoCommands(client: MongoClient): void {
  client.on('commandSucceeded', (event) => recordCall('mongo', event.commandName, event.duration / 1000, false));
  client.on('commandFailed', (event) => recordCall('mongo', event.commandName, event.duration / 1000, true));
}
