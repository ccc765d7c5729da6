// The trigger queue of the all-in-one process, which has no Redis: a LevelDB of its own
// (`DATA_DIR/trigger-queue`), one key per entry, `<trigger>!<sequence>`, so each trigger's entries
// are one range in arrival order. The process is its only consumer: what it took and did not
// acknowledge is simply taken again after a restart (at least once across a kill).
import { ClassicLevel } from 'classic-level';
import type { TriggerMessage } from '../../contracts/trigger.js';
import type { QueuedTriggerMessage, TriggerQueue } from '../../contracts/trigger-queue.js';

const SEQUENCE_DIGITS = 16;

export async function levelTriggerQueue(directory: string, options: { maxEntries: number }): Promise<TriggerQueue> {
  const db = new ClassicLevel<string, string>(directory, { valueEncoding: 'utf8' });
  await db.open();
  const counts = new Map<string, number>();
  /** Entries taken and not yet acknowledged, per trigger: not handed out twice while the process lives. */
  const taken = new Map<string, Set<string>>();
  let sequence = 0;
  for await (const key of db.keys()) {
    const [triggerId, number] = key.split('!') as [string, string];
    counts.set(triggerId, (counts.get(triggerId) ?? 0) + 1);
    sequence = Math.max(sequence, Number(number));
  }
  const range = (triggerId: string) => ({ gt: `${triggerId}!`, lt: `${triggerId}!~` });
  const takenOf = (triggerId: string) => {
    let set = taken.get(triggerId);
    if (!set) taken.set(triggerId, (set = new Set()));
    return set;
  };

  return {
    async append(triggerId, message) {
      const count = counts.get(triggerId) ?? 0;
      if (count >= options.maxEntries) return false;
      // Counted and numbered before the write, so concurrent appends keep their order and the bound.
      counts.set(triggerId, count + 1);
      const key = `${triggerId}!${String(++sequence).padStart(SEQUENCE_DIGITS, '0')}`;
      try {
        await db.put(key, JSON.stringify(message));
      } catch (error) {
        counts.set(triggerId, (counts.get(triggerId) ?? 1) - 1);
        throw error;
      }
      return true;
    },
    async take(triggerId, _consumer, max) {
      const inFlight = takenOf(triggerId);
      const entries: QueuedTriggerMessage[] = [];
      for await (const [id, value] of db.iterator(range(triggerId))) {
        if (inFlight.has(id)) continue;
        inFlight.add(id);
        entries.push({ id, message: JSON.parse(value) as TriggerMessage });
        if (entries.length >= max) break;
      }
      return entries;
    },
    // One consumer: nobody else could claim them.
    async touch() {},
    async ack(triggerId, ids) {
      await db.batch(ids.map((id) => ({ type: 'del' as const, key: id })));
      const inFlight = takenOf(triggerId);
      for (const id of ids) inFlight.delete(id);
      counts.set(triggerId, Math.max(0, (counts.get(triggerId) ?? 0) - ids.length));
    },
    async length(triggerId) {
      return counts.get(triggerId) ?? 0;
    },
    async remove(triggerId) {
      await db.clear(range(triggerId));
      counts.delete(triggerId);
      taken.delete(triggerId);
    },
    close: () => db.close(),
  };
}
