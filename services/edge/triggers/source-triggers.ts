// Which triggers take an edge's messages. Called on every accepted PUBLISH of a device, registry or
// broker with its canonical topic. A registry's or broker's triggers come from the registry link,
// used for at most TRIGGERS_TTL_MS (RefreshedRules, as the exports are): a trigger made or deleted
// takes effect on every edge within that time, and a PUBLISH never waits for the link. What a trigger takes
// becomes a TriggerMessage here, with its event ID and time, so every retry and duplicate of it
// carries the same ones.
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
import { RefreshedRules } from '../registry-link/refreshed-rules.js';

export const TRIGGERS_TTL_MS = 5_000;

export class SourceTriggers {
  /** A registry's triggers, and a broker's: by the source's ID. */
  readonly #rules: Record<'registry' | 'broker', RefreshedRules<TriggerRule>>;

  constructor(
    link: Pick<RegistryLink, 'sourceTriggers'>,
    /** Where a taken message goes: the intake's offer(). */
    private readonly sink: (triggerId: string, message: TriggerMessage) => void,
    logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#rules = {
      registry: new RefreshedRules(TRIGGERS_TTL_MS, 'registry triggers', logger, (id) => link.sourceTriggers('registry', id), now),
      broker: new RefreshedRules(TRIGGERS_TTL_MS, 'broker triggers', logger, (id) => link.sourceTriggers('broker', id), now),
    };
  }

  /** A device's, registry's or broker's accepted message on its canonical (or broker) `topic`. */
  offer(principal: Principal, topic: string, payload: Buffer): void {
    const kind = principal.kind === 'broker' ? 'broker' : 'registry';
    const id = principal.kind === 'broker' ? principal.id : principal.registry_id;
    const rules = this.#rules[kind];
    if (rules.none(id)) return;
    // Taken now, whenever the rules arrive: the time the message was accepted (formatted only for
    // a message some trigger takes).
    const acceptedAt = this.now();
    rules.with(id, (triggers) => {
      for (const rule of triggers) {
        const takes = kind === 'broker' ? brokerTriggerTakes(rule, topic) : registryTriggerTakes(rule, topic);
        if (!takes) continue;
        this.sink(rule.id, {
          event_id: randomUUID(),
          created_at: new Date(acceptedAt).toISOString(),
          mqtt_topic: topic,
          device_id: kind === 'broker' ? '' : messageDeviceId(principal.kind === 'device' ? principal.id : undefined, topic),
          payload: payload.toString('base64'),
        });
      }
    });
  }
}
