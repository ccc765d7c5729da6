// Which triggers take an edge's messages. Called on every accepted PUBLISH of a device, registry or
// broker with its canonical topic. A registry's or broker's triggers come from the registry link,
// kept TRIGGERS_TTL_MS (RefreshedRules, as the exports are): a trigger made or deleted takes effect
// on every edge within that time, and a PUBLISH never waits for the link. What a trigger takes
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
  readonly #rules: RefreshedRules<TriggerRule>;

  constructor(
    private readonly link: Pick<RegistryLink, 'sourceTriggers'>,
    /** Where a taken message goes: the intake's offer(). */
    private readonly sink: (triggerId: string, message: TriggerMessage) => void,
    logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#rules = new RefreshedRules(TRIGGERS_TTL_MS, 'triggers', logger, now);
  }

  /** A device's, registry's or broker's accepted message on its canonical (or broker) `topic`. */
  offer(principal: Principal, topic: string, payload: Buffer): void {
    const kind = principal.kind === 'broker' ? 'broker' : 'registry';
    const id = principal.kind === 'broker' ? principal.id : principal.registry_id;
    // Taken now, whenever the rules arrive: the time the message was accepted (formatted only for
    // a message some trigger takes: this runs for every PUBLISH).
    const acceptedAt = this.now();
    this.#rules.with(
      `${kind} ${id}`,
      () => this.link.sourceTriggers(kind, id),
      (rules) => {
        for (const rule of rules) {
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
      },
    );
  }
}
