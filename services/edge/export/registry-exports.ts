// Which of an edge's messages go to which export. Called on every accepted PUBLISH of a device or
// registry with its canonical topic; a registry without exports costs one map lookup. A
// registry's exports come from the registry link, used for at most EXPORTS_TTL_MS (RefreshedRules):
// an export added or deleted takes effect on every edge within that time, and a PUBLISH never waits.
import { exportRecord, exportTakes, isExportedTopic, type ExportRecord, type RegistryExport } from '../../contracts/data-stream-export.js';
import type { Principal } from '../../contracts/principal.js';
import type { RegistryLink } from '../../contracts/registry-link.js';
import type { Logger } from '../../common/logging.js';
import { RefreshedRules } from '../registry-link/refreshed-rules.js';

export const EXPORTS_TTL_MS = 5_000;

export class RegistryExports {
  readonly #rules: RefreshedRules<RegistryExport>;

  constructor(
    link: Pick<RegistryLink, 'registryExports'>,
    /** Where a record goes: the exporter's offer(). */
    private readonly sink: (stream: string, record: ExportRecord) => void,
    logger: Logger,
    now: () => number = Date.now,
  ) {
    this.#rules = new RefreshedRules(EXPORTS_TTL_MS, 'data stream exports', logger, (registryId) => link.registryExports(registryId), now);
  }

  /** A device's or registry's accepted message on the canonical `topic`. */
  offer(principal: Principal, topic: string, payload: Buffer): void {
    if (principal.kind === 'broker' || this.#rules.none(principal.registry_id) || !isExportedTopic(topic)) return;
    const deviceId = principal.kind === 'device' ? principal.id : '';
    this.#rules.with(principal.registry_id, (exports) => {
      for (const { mqtt_topic_filter, stream } of exports)
        if (exportTakes(mqtt_topic_filter, topic)) this.sink(stream, exportRecord(deviceId, topic, payload));
    });
  }
}
