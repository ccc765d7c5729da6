// Connection logs of a cluster in MongoDB: one collection, indexed by registry, broker and device in time order,
// with a TTL index on the time where the server supports one (FerretDB v1 refuses TTL indexes). prune() removes
// entries past the age and count bounds as well, so the bounds hold on every server.
import { MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import { DUPLICATE_KEY } from '../../common/mongo-errors.js';
import type { ConnectionLogEntry } from '../../contracts/connection-logs.js';
import type { ConnectionLogStore, LogQuery, LogRetention } from './log-store.js';

type LogDocument = Omit<ConnectionLogEntry, 'uid'> & { _id: string };

const INDEX_OPTIONS_CONFLICT = 85;
const TTL_INDEX = 'expire_by_time';

export async function openMongoLogStore(
  db: Db,
  retention: LogRetention,
  onTtlUnsupported: (error: unknown) => void,
  close: () => Promise<void>,
): Promise<ConnectionLogStore> {
  const logs = db.collection<LogDocument>('connection_logs');
  // A registry's log is its own entries (device_id ""), or those of some of its devices.
  await logs.createIndex({ registry_id: 1, device_id: 1, timestamp: 1, _id: 1 }, { name: 'registry_device_time' });
  // Made by earlier versions, when a registry's log held its devices' entries too; absent otherwise.
  await logs.dropIndex('registry_time').catch(() => undefined);
  await logs.createIndex({ broker_id: 1, timestamp: 1, _id: 1 }, { name: 'broker_time' });
  await logs.createIndex({ device_id: 1, timestamp: 1, _id: 1 }, { name: 'device_time' });
  await logs.createIndex({ timestamp: 1, _id: 1 }, { name: 'time' });
  await ensureTtlIndex(db, logs, Math.ceil(retention.maxAgeMs / 1000)).catch(onTtlUnsupported);
  return new MongoLogStore(logs, close);
}

/** The TTL index with the configured age; an existing one with another age is changed in place. */
async function ensureTtlIndex(db: Db, logs: Collection<LogDocument>, expireAfterSeconds: number): Promise<void> {
  try {
    await logs.createIndex({ timestamp: 1 }, { name: TTL_INDEX, expireAfterSeconds });
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === INDEX_OPTIONS_CONFLICT)) throw error;
    await db.command({ collMod: logs.collectionName, index: { name: TTL_INDEX, expireAfterSeconds } });
  }
}

class MongoLogStore implements ConnectionLogStore {
  constructor(
    private readonly logs: Collection<LogDocument>,
    readonly close: () => Promise<void>,
  ) {}

  async append(entries: ConnectionLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.logs.insertMany(
        entries.map(({ uid, ...entry }) => ({ _id: uid, ...entry })),
        { ordered: false },
      );
    } catch (error) {
      // An edge sending a batch again after a timeout: the entries already stored stay as they are.
      const writeErrors = (error as { writeErrors?: Array<{ code: number }> | { code: number } }).writeErrors;
      const all = writeErrors === undefined ? [] : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
      if (all.length === 0 || all.some((writeError) => writeError.code !== DUPLICATE_KEY)) throw error;
    }
  }

  async read(query: LogQuery): Promise<ConnectionLogEntry[]> {
    const filter: Filter<LogDocument> = { ...query.source };
    const time: Record<string, Date> = {};
    if (query.since) time.$gte = query.since;
    if (query.until) time.$lt = query.until;
    if (Object.keys(time).length > 0) filter.timestamp = time;
    if (query.levels.length > 0) filter.level = { $in: query.levels };
    if (query.events.length > 0) filter.event = { $in: query.events };
    if (query.device_ids.length > 0) {
      if ('device_id' in query.source) {
        if (!query.device_ids.includes(query.source.device_id)) return [];
      } else filter.device_id = { $in: query.device_ids };
    } else if ('registry_id' in query.source) {
      filter.device_id = ''; // the registry's own entries (log-store.ts: matchesFilters)
    }
    if (query.after) {
      filter.$or = [{ timestamp: { $gt: query.after.timestamp } }, { timestamp: query.after.timestamp, _id: { $gt: query.after.uid } }];
    }
    const documents = await this.logs.find(filter).sort({ timestamp: 1, _id: 1 }).limit(query.limit).toArray();
    return documents.map(({ _id, ...entry }) => ({ uid: _id, ...entry }));
  }

  async prune(retention: LogRetention, now: Date): Promise<number> {
    let removed = (await this.logs.deleteMany({ timestamp: { $lt: new Date(now.getTime() - retention.maxAgeMs) } })).deletedCount;
    // From the collection's metadata: counting a million entries every minute would be a scan.
    const excess = (await this.logs.estimatedDocumentCount()) - retention.maxEntries;
    if (excess > 0) {
      const [last] = await this.logs
        .find({})
        .sort({ timestamp: 1, _id: 1 })
        .skip(excess - 1)
        .limit(1)
        .project<{ _id: string; timestamp: Date }>({ timestamp: 1 })
        .toArray();
      if (last) {
        removed += (
          await this.logs.deleteMany({
            $or: [{ timestamp: { $lt: last.timestamp } }, { timestamp: last.timestamp, _id: { $lte: last._id } }],
          })
        ).deletedCount;
      }
    }
    return removed;
  }
}
