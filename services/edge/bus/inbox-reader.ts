// Reads an edge's inbox (routed-bus.ts): a Redis stream read with XREAD BLOCK from the last ID
// seen, so a dropped connection loses nothing. Each entry holds what one sender had for this edge
// in one turn (inbox-batches.ts): records for the edge's subscribers or for one member of a
// shared-subscription group (inbox-codec.ts `recipientOf`; cluster-shared-routing.ts).
import type { Message } from 'mqemitter';
import type { Logger } from '../../common/logging.js';
import { decodeEntry, decodeMessage, recipientOf } from './inbox-codec.js';
import { BLOCK_MS, RETRY_MS, type Connection } from './route-keys.js';

export interface InboxRecipients {
  subscribers(message: Message): void;
  /** `forwarded`: another edge already passed it on once. */
  sharedGroup(key: string, message: Message, forwarded: boolean): void;
}

type BufferStreamReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
const BATCH_FIELD = Buffer.from('b');

/** Reads `key` from its start (the stream was created by this edge's registration) until `closed()`. */
export async function readInbox(
  connection: Connection,
  key: string,
  recipients: InboxRecipients,
  logger: Logger,
  closed: () => boolean,
): Promise<void> {
  let last = '0-0';
  while (!closed()) {
    try {
      const reply = (await connection.xreadBuffer('COUNT', 500, 'BLOCK', BLOCK_MS, 'STREAMS', key, last)) as unknown as BufferStreamReply;
      if (closed() || !reply) continue;
      for (const [entryId, fields] of reply[0]![1]) {
        last = entryId.toString();
        // `hello` marks the inbox's creation; `b` holds a batch.
        for (let index = 0; index + 1 < fields.length; index += 2)
          if (fields[index]!.equals(BATCH_FIELD)) readEntry(fields[index + 1]!, recipients, logger);
      }
    } catch (error) {
      if (closed()) return;
      logger.debug({ err: error }, 'inbox read failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

function readEntry(entry: Buffer, recipients: InboxRecipients, logger: Logger): void {
  let records: ReturnType<typeof decodeEntry>;
  try {
    records = decodeEntry(entry);
  } catch (error) {
    logger.warn({ err: error }, 'undecodable inbox entry; ignored');
    return;
  }
  for (const [field, data] of records) {
    const recipient = recipientOf(field);
    if (!recipient) continue;
    let message: Message;
    try {
      message = decodeMessage(data);
    } catch (error) {
      logger.warn({ err: error }, 'undecodable message in the inbox; ignored');
      continue;
    }
    if (recipient.subscribers) recipients.subscribers(message);
    else recipients.sharedGroup(recipient.key, message, recipient.forwarded);
  }
}
