// The durable queue between the processes that take a trigger's messages (the edges, where
// messages enter) and the ones that deliver them (the registry's delivery workers). A message is
// in the queue before any request carries it, and leaves it only once delivered or dead-lettered:
// at least once across crashes of either side. Two implementations: Redis Streams with a consumer
// group in a cluster, LevelDB in the all-in-one process (services/common/trigger-queue/).
import type { TriggerMessage } from './trigger.js';

export interface QueuedTriggerMessage {
  /** The queue's own ID of the entry, for ack() and touch(). */
  id: string;
  message: TriggerMessage;
}

export interface TriggerQueue {
  /** Appends durably; false (nothing stored) when the trigger's queue holds its bound already. */
  append(triggerId: string, message: TriggerMessage): Promise<boolean>;
  /**
   * Up to `max` entries for `consumer` to deliver: first entries another consumer took and left
   * untouched for the claim time (it died), then new ones. An entry stays in the queue, taken by
   * `consumer`, until ack().
   */
  take(triggerId: string, consumer: string, max: number): Promise<QueuedTriggerMessage[]>;
  /** `consumer` is still working on these (retrying): nobody else may claim them yet. */
  touch(triggerId: string, consumer: string, ids: string[]): Promise<void>;
  /** Delivered or dead-lettered: removed for good. */
  ack(triggerId: string, ids: string[]): Promise<void>;
  /** Entries waiting or being delivered. */
  length(triggerId: string): Promise<number>;
  /** Removes a deleted trigger's queue. */
  remove(triggerId: string): Promise<void>;
  close(): Promise<void>;
}
