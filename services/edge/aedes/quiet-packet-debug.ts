// mqtt-packet, which reads and writes every MQTT packet aedes handles, calls `debug()` dozens of
// times per packet (85 to parse a 64-byte QoS 1 PUBLISH, 9 to write one). With debugging off each
// call still gathers its arguments into an array and reads the `enabled` getter: 6% of an edge's
// main thread in a QoS 0 fan-in profile; such a parse took 2.0–2.3 µs with them and 1.3–1.4 µs
// without (loadtest/results/qos1-profile.md). This module hands mqtt-packet a function that
// does nothing for each of its debug namespaces that DEBUG does not enable when it loads;
// `DEBUG=mqtt-packet:*` still turns its logging on (not `debug.enable()` later: read once).
// It only works if it runs before mqtt-packet is first loaded: the CLI imports it first.
import { createRequire } from 'node:module';
import path from 'node:path';

interface CreateDebug {
  (namespace: string): unknown;
  enabled(namespace: string): boolean;
}

const NAMESPACE = 'mqtt-packet:';

const require = createRequire(import.meta.url);
const packetDirectory = path.dirname(require.resolve('mqtt-packet'));
const debugPath = require.resolve('debug', { paths: [packetDirectory] });
const quiet = Object.assign(() => undefined, { enabled: false });

const createDebug = require(debugPath) as CreateDebug;
require.cache[debugPath]!.exports = new Proxy(createDebug, {
  apply: (target, _this, [namespace]: [string]) =>
    namespace.startsWith(NAMESPACE) && !target.enabled(namespace) ? quiet : target(namespace),
});
