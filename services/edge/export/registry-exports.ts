// Which of an edge's messages go to which export. Called on every accepted PUBLISH of a device or
// registry with its canonical topic; most topics are not exported and cost one string split. A
// registry's exports are learned from the registry link and kept EXPORTS_TTL_MS, refreshed in the
// background, so an export added or deleted takes effect on every edge within that time and a
// PUBLISH never waits for the link: a message arriving before the first answer for its registry is
// offered once that answer is in (in arrival order). A link that fails keeps the last answer.
import { exportRecord, exportTakes, isExportedTopic, type ExportRecord, type RegistryExport } from '../../contracts/data-stream-export.js';
import type { Principal } from '../../contracts/principal.js';
import type { RegistryLink } from '../../contracts/registry-link.js';
import type { Logger } from '../../common/logging.js';

export const EXPORTS_TTL_MS = 5_000;

interface Known {
  exports: RegistryExport[];
  /** Whether the link has answered once (until then messages wait for the first answer). */
  answered: boolean;
  fetchedAt: number;
  /** The answer being fetched, if any. */
  pending?: Promise<RegistryExport[]>;
}

export class RegistryExports {
  readonly #known = new Map<string, Known>();

  constructor(
    private readonly link: Pick<RegistryLink, 'registryExports'>,
    /** Where a record goes: the exporter's offer(). */
    private readonly sink: (stream: string, record: ExportRecord) => void,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A device's or registry's accepted message on the canonical `topic`. */
  offer(principal: Principal, topic: string, payload: Buffer): void {
    if (principal.kind === 'broker' || !isExportedTopic(topic)) return;
    const deviceId = principal.kind === 'device' ? principal.id : '';
    const write = (exports: RegistryExport[]) => {
      for (const { mqtt_topic_filter, stream } of exports)
        if (exportTakes(mqtt_topic_filter, topic)) this.sink(stream, exportRecord(deviceId, topic, payload));
    };
    const known = this.#known.get(principal.registry_id);
    if (known?.answered) {
      write(known.exports);
      if (!known.pending && this.now() - known.fetchedAt > EXPORTS_TTL_MS) this.#fetch(principal.registry_id, known);
      return;
    }
    // Bounded in time by the link's deadline.
    const pending = known?.pending ?? this.#fetch(principal.registry_id, known);
    void pending.then(write);
  }

  #fetch(registryId: string, previous: Known | undefined): Promise<RegistryExport[]> {
    const entry: Known = previous ?? { exports: [], answered: false, fetchedAt: 0 };
    const pending = this.link.registryExports(registryId).then(
      (exports) => {
        entry.exports = exports;
        entry.answered = true;
        return exports;
      },
      (error: unknown) => {
        this.logger.warn({ err: error, registryId }, 'could not read the data stream exports of a registry; keeping the last known');
        // Asked again with the next message rather than on every one.
        entry.answered = true;
        return entry.exports;
      },
    );
    entry.pending = pending;
    entry.fetchedAt = this.now();
    this.#known.set(registryId, entry);
    void pending.finally(() => {
      if (entry.pending === pending) entry.pending = undefined;
    });
    return pending;
  }
}
