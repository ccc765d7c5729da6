// Which triggers take an edge's messages. Called on every accepted PUBLISH of a device, registry or
// broker with its canonical topic. A registry's or broker's triggers are learned from the registry
// link and kept TRIGGERS_TTL_MS, refreshed in the background (as the exports are,
// export/registry-exports.ts): a trigger made or deleted takes effect on every edge within that
// time, and a PUBLISH never waits for the link. What a trigger takes becomes a TriggerMessage here,
// with its event ID and time, so every retry and duplicate of it carries the same ones.
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../contracts/principal.js';
import type { RegistryLink } from '../../contracts/registry-link.js';
import {
  brokerTriggerTakes,
  messageDeviceId,
  registryTriggerTakes,
  type TriggerMessage,
  type TriggerRule,
} from '../../contracts/trigger.js';
import type { Logger } from '../../common/logging.js';

export const TRIGGERS_TTL_MS = 5_000;

interface Known {
  rules: TriggerRule[];
  answered: boolean;
  fetchedAt: number;
  pending?: Promise<TriggerRule[]>;
}

export class SourceTriggers {
  readonly #known = new Map<string, Known>();

  constructor(
    private readonly link: Pick<RegistryLink, 'sourceTriggers'>,
    /** Where a taken message goes: the intake's offer(). */
    private readonly sink: (triggerId: string, message: TriggerMessage) => void,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A device's, registry's or broker's accepted message on its canonical (or broker) `topic`. */
  offer(principal: Principal, topic: string, payload: Buffer): void {
    const source =
      principal.kind === 'broker'
        ? { kind: 'broker' as const, id: principal.id }
        : { kind: 'registry' as const, id: principal.registry_id };
    // Taken now, whenever the rules arrive: the time the message was accepted (formatted only for
    // a message some trigger takes: this runs for every PUBLISH).
    const acceptedAt = this.now();
    const write = (rules: TriggerRule[]) => {
      for (const rule of rules) {
        const takes = source.kind === 'broker' ? brokerTriggerTakes(rule, topic) : registryTriggerTakes(rule, topic);
        if (!takes) continue;
        this.sink(rule.id, {
          event_id: randomUUID(),
          created_at: new Date(acceptedAt).toISOString(),
          mqtt_topic: topic,
          device_id: source.kind === 'broker' ? '' : messageDeviceId(principal.kind === 'device' ? principal.id : undefined, topic),
          payload: payload.toString('base64'),
        });
      }
    };
    const cacheKey = `${source.kind}:${source.id}`;
    const known = this.#known.get(cacheKey);
    if (known?.answered) {
      if (known.rules.length > 0) write(known.rules);
      if (!known.pending && this.now() - known.fetchedAt > TRIGGERS_TTL_MS) this.#fetch(cacheKey, source, known);
      return;
    }
    // Bounded in time by the link's deadline.
    const pending = known?.pending ?? this.#fetch(cacheKey, source, known);
    void pending.then(write);
  }

  #fetch(cacheKey: string, source: { kind: 'registry' | 'broker'; id: string }, previous: Known | undefined): Promise<TriggerRule[]> {
    const entry: Known = previous ?? { rules: [], answered: false, fetchedAt: 0 };
    const pending = this.link.sourceTriggers(source.kind, source.id).then(
      (rules) => {
        entry.rules = rules;
        entry.answered = true;
        return rules;
      },
      (error: unknown) => {
        this.logger.warn({ err: error, source }, 'could not read the triggers of a registry or broker; keeping the last known');
        entry.answered = true;
        return entry.rules;
      },
    );
    entry.pending = pending;
    entry.fetchedAt = this.now();
    this.#known.set(cacheKey, entry);
    void pending.finally(() => {
      if (entry.pending === pending) entry.pending = undefined;
    });
    return pending;
  }
}
