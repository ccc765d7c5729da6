// The records waiting for Kafka, bounded by count and bytes so a slow or absent Kafka costs a
// known amount of memory and never slows MQTT: a record offered to a full backlog is dropped (and
// counted) at once. The head is the batch being sent; it leaves only when Kafka acknowledged it.
// Tail drop keeps what is already queued, and with it the order of each device's records.
import Denque from 'denque';

export interface QueuedRecord {
  /** The Kafka topic (the export's stream). */
  topic: string;
  /** The device ID, or empty for the registry. */
  key: string;
  /** The JSON record. */
  value: string;
}

export interface BacklogLimits {
  maxRecords: number;
  maxBytes: number;
}

export class ExportBacklog {
  readonly #queue = new Denque<QueuedRecord>();
  #bytes = 0;
  #dropped = 0;

  constructor(private readonly limits: BacklogLimits) {}

  /** Queues the record, or drops it when the backlog is full; false when dropped. */
  offer(record: QueuedRecord): boolean {
    const bytes = recordBytes(record);
    if (this.#queue.length >= this.limits.maxRecords || this.#bytes + bytes > this.limits.maxBytes) {
      this.#dropped++;
      return false;
    }
    this.#queue.push(record);
    this.#bytes += bytes;
    return true;
  }

  /** Up to `max` records from the head, left in place until acknowledge(). */
  head(max: number): QueuedRecord[] {
    const batch: QueuedRecord[] = [];
    for (let index = 0; index < Math.min(max, this.#queue.length); index++) batch.push(this.#queue.peekAt(index)!);
    return batch;
  }

  /** Removes the first `count` records: Kafka has them. */
  acknowledge(count: number): void {
    for (let index = 0; index < count; index++) {
      const record = this.#queue.shift();
      if (record) this.#bytes -= recordBytes(record);
    }
  }

  get length(): number {
    return this.#queue.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Records dropped because the backlog was full, since start. */
  get dropped(): number {
    return this.#dropped;
  }
}

/** What a record costs in the backlog: its strings in UTF-16, as V8 holds them (roughly). */
function recordBytes(record: QueuedRecord): number {
  return 2 * (record.topic.length + record.key.length + record.value.length);
}
