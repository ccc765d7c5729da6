// The all-in-one edge keeps MQTT state (permanent-topic values, persistent sessions, queued QoS 1
// messages) in LevelDB under the data dir, so `npm start` loses none of it across restarts.
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import type { QueuedCounter } from './queue-limit.js';
import { levelSessionLedger, type SessionLedger } from './session-ledger.js';
import { withClientStateIndex } from './client-state-index.js';
import { withRetainedIndex } from './retained-index.js';
import { MAX_PERMANENT_REPLAY } from '../topics/routes.js';

export async function embeddedMqttPersistence(dataDir: string): Promise<{
  persistence: unknown;
  permanentTopics(): Promise<number>;
  queued: QueuedCounter;
  sessions: SessionLedger;
  close(): Promise<void>;
}> {
  const db = new ClassicLevel<string, Buffer>(path.join(dataDir, 'mqtt'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const retained = await withRetainedIndex(await withClientStateIndex(new AsyncLevelPersistence(db), db), db, MAX_PERMANENT_REPLAY);
  return {
    persistence: retained.persistence,
    permanentTopics: async () => retained.permanentTopics(),
    // Queued messages of a session are stored under "outgoing:<encoded client ID>:<broker>:<counter>".
    queued: async (clientId) => {
      let messages = 0;
      let bytes = 0;
      const id = encodeURIComponent(clientId);
      for await (const value of db.values({ gte: `outgoing:${id}:`, lt: `outgoing:${id};` })) {
        messages++;
        bytes += value.length;
      }
      return { messages, bytes };
    },
    sessions: levelSessionLedger(db),
    close: () => db.close(),
  };
}
