// The edge under test of `npm run bench:logging`, in its own process: iotcore's MQTT edge on plain TCP behind a
// registry link that answers from a table, with every principal's LogOptions set by the mode:
//   off      logging disabled (LogOptions.disabled): events are filtered where they happen
//   stalled  every event kept, and a store that never answers: the buffer fills and the rest is dropped
//   healthy  every event kept, and a store that answers at once
// Prints `port <n>` when listening, then `dropped <n> written <n>` on SIGTERM before exiting.
import { pino } from 'pino';
import { startEdge } from '../../services/edge/edge.js';
import type { AuthOutcome, Principal } from '../../services/contracts/principal.js';
import type { RegistryLink } from '../../services/contracts/registry-link.js';
import { EdgeMetrics } from '../../services/edge/metrics.js';
import { MODES, PASSWORD, REGISTRY_ID, type LoggingMode } from './bench-fleet.js';

const mode = process.argv[2] as LoggingMode;
if (!MODES.includes(mode)) throw new Error(`mode: off, stalled or healthy, not ${mode}`);
const log_policy = { disabled: mode === 'off', min_level: 0 };

function principal(username: string): Principal | undefined {
  const base = { folder_id: 'bench', credential_id: 'password', topic_aliases: {}, registry_aliases: [], log_policy };
  if (username === REGISTRY_ID) return { ...base, kind: 'registry', id: REGISTRY_ID, registry_id: REGISTRY_ID };
  if (/^benchdevice\d+$/.test(username)) return { ...base, kind: 'device', id: username, registry_id: REGISTRY_ID };
  return undefined;
}

let written = 0;
const link: RegistryLink = {
  async authenticate({ username, password }): Promise<AuthOutcome> {
    const found = principal(username);
    if (!found) return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'unknown username' };
    if (password?.toString() !== PASSWORD)
      return { result: 'BAD_USERNAME_OR_PASSWORD', reason: 'wrong password', subject: { ...found, log_policy } };
    return { result: 'OK', principal: found };
  },
  async registryExports() {
    return [];
  },
  async sourceTriggers() {
    return [];
  },
  async lookupDevice(deviceId) {
    return principal(deviceId)?.kind === 'device' ? { registry_id: REGISTRY_ID } : undefined;
  },
  async checkSessions(sessions) {
    return sessions.map(({ id }): AuthOutcome => {
      const found = principal(id);
      return found ? { result: 'OK', principal: found } : { result: 'NOT_AUTHORIZED', reason: 'gone' };
    });
  },
  async reportActivity() {},
  writeLogs(entries) {
    if (mode === 'stalled') return new Promise(() => undefined);
    written += entries.length;
    return Promise.resolve();
  },
  follow(_after, handler) {
    handler.ready({ epoch: 'bench', seq: 0 });
    return () => undefined;
  },
};

// A buffer of 1000 (the default is 10 000) is full a few seconds into a stalled run, so the measured part is
// spent almost entirely dropping, the state the bench is about.
const edge = await startEdge({
  link,
  logger: pino({ level: 'silent' }),
  tcp: { host: '127.0.0.1', port: 0 },
  maxMessageBytes: 262_144,
  connectionLog: { capacity: 1000 },
});
process.stdout.write(`port ${edge.ports.tcp}\n`);
process.once('SIGTERM', async () => {
  const dropped = (await EdgeMetrics.get().logEventsDropped.get()).values.reduce((sum, value) => sum + value.value, 0);
  process.stdout.write(`dropped ${dropped} written ${written}\n`);
  process.exit(0);
});
