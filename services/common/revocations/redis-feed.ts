// The cluster's revocation feed: one Redis stream that every registry replica appends to and every
// edge (and replica) follows, whichever replica handled the change. Entry IDs are the sequence
// numbers (`<seq>-0`), given out by a script together with the feed's epoch, so the stream order is
// the numbering order and a follower sees any hole: trimmed entries (MAXLEN), or a Redis that lost
// its data (new epoch, numbers starting over). Followers read with XREAD BLOCK on their own
// connection and resume from their cursor after a reconnect.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { openRedis } from '../redis.js';
import type { Logger } from '../logging.js';
import {
  followsDirectly,
  type FeedCursor,
  type Revocation,
  type RevocationHandler,
  type RevocationSource,
} from '../../contracts/revocations.js';

// One hash tag: both keys live on one shard of a Redis Cluster, as the scripts need.
const STREAM_KEY = '{iotcore:revocations}';
const META_KEY = '{iotcore:revocations}:meta';
/** About a day of deletions for a large fleet; a follower further behind rechecks its sessions. */
const MAX_LENGTH = 100_000;
const BLOCK_MS = 5000;
const RETRY_MS = 500;

// A missing meta hash means a new feed: new epoch, and any old entries go (their IDs would collide).
const APPEND_SCRIPT = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'seq', 0)
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'epoch', epoch, 'r', ARGV[3])
return {epoch, seq}`;

// Where the feed stands, and whether any entry after the follower's position is still there.
const HEAD_SCRIPT = `
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'seq')
local following = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1] .. '-0', '+', 'COUNT', 1)
return {meta[1] or '', tonumber(meta[2] or '0'), #following}`;

type Connection = Redis & {
  appendRevocation(stream: string, meta: string, epoch: string, maxLength: number, revocation: string): Promise<[string, number]>;
  feedHead(stream: string, meta: string, seq: number): Promise<[string, number, number]>;
};

function connect(url: string, name: string): Connection {
  const connection = openRedis(url, { maxRetriesPerRequest: null, connectionName: name }) as Connection;
  connection.defineCommand('appendRevocation', { numberOfKeys: 2, lua: APPEND_SCRIPT });
  connection.defineCommand('feedHead', { numberOfKeys: 2, lua: HEAD_SCRIPT });
  return connection;
}

export class RedisRevocationFeed implements RevocationSource {
  readonly #url: string;
  readonly #logger: Logger;
  readonly #maxLength: number;
  readonly #followers = new Set<Connection>();
  #writer: Connection | undefined;

  constructor(url: string, logger: Logger, options: { maxLength?: number } = {}) {
    this.#url = url;
    this.#logger = logger;
    this.#maxLength = options.maxLength ?? MAX_LENGTH;
  }

  /** Appends a revocation; while Redis is away it waits in ioredis' queue. */
  async publish(revocation: Revocation): Promise<FeedCursor> {
    this.#writer ??= connect(this.#url, 'iotcore:revocation-writer');
    const [epoch, seq] = await this.#writer.appendRevocation(
      STREAM_KEY,
      META_KEY,
      randomUUID(),
      this.#maxLength,
      JSON.stringify(revocation),
    );
    return { epoch, seq: Number(seq) };
  }

  follow(after: FeedCursor | undefined, handler: RevocationHandler): () => void {
    const connection = connect(this.#url, 'iotcore:revocation-feed');
    this.#followers.add(connection);
    let stopped = false;
    let cursor = after;
    let live = false;
    let headChecked = false;
    const setLost = () => {
      headChecked = false;
      if (!live) return;
      live = false;
      handler.lost();
    };
    // A blocked XREAD that ioredis re-sends after a reconnect still reads from the right place, but
    // the loss must show (readiness, lag) and the head be checked again once back.
    connection.on('close', setLost);
    connection.on('error', () => undefined);

    const checkHead = async (): Promise<void> => {
      const [epoch, seqText, following] = await connection.feedHead(STREAM_KEY, META_KEY, cursor?.seq ?? 0);
      const head = { epoch, seq: Number(seqText) };
      if (!cursor) {
        cursor = head;
        return;
      }
      const reset = (epoch !== cursor.epoch && cursor.seq !== 0) || head.seq < cursor.seq;
      const trimmed = head.seq > cursor.seq && following === 0;
      if (reset) {
        handler.gap(`revocation feed reset (epoch ${cursor.epoch} → ${epoch})`);
        // Whatever the new feed holds is newer than anything seen: read it from its start.
        cursor = { epoch, seq: 0 };
      } else if (trimmed) {
        handler.gap(`revocations after ${cursor.seq} were trimmed from the feed`);
        cursor = head;
      }
    };

    const run = async (): Promise<void> => {
      while (!stopped) {
        try {
          if (!headChecked) {
            await checkHead();
            headChecked = true;
          }
          if (!live) {
            live = true;
            handler.ready(cursor!);
          }
          const reply = (await connection.xread('COUNT', 1000, 'BLOCK', BLOCK_MS, 'STREAMS', STREAM_KEY, `${cursor!.seq}-0`)) as Array<
            [string, Array<[string, string[]]>]
          > | null;
          if (stopped) return;
          // Nothing new: also make sure the numbering did not start over or skip past us.
          if (!reply) {
            headChecked = false;
            continue;
          }
          for (const [id, fields] of reply[0]![1]) {
            const next = { epoch: fieldOf(fields, 'epoch'), seq: Number(id.split('-')[0]) };
            if (!followsDirectly(cursor!, next))
              handler.gap(`revocation ${next.epoch}/${next.seq} does not follow ${cursor!.epoch}/${cursor!.seq}`);
            cursor = next;
            const revocation = this.#decode(fieldOf(fields, 'r'));
            if (revocation) handler.revocation(revocation, next);
            else handler.gap(`undecodable revocation ${next.seq}`);
          }
        } catch (error) {
          if (stopped) return;
          setLost();
          this.#logger.warn({ err: error }, 'revocation feed: read failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    };
    void run();
    return () => {
      stopped = true;
      this.#followers.delete(connection);
      connection.disconnect();
    };
  }

  #decode(text: string): Revocation | undefined {
    try {
      return JSON.parse(text) as Revocation;
    } catch {
      this.#logger.error('revocation feed: undecodable entry; rechecking instead');
      return undefined;
    }
  }

  async close(): Promise<void> {
    for (const connection of this.#followers) connection.disconnect();
    this.#followers.clear();
    this.#writer?.disconnect();
  }
}

function fieldOf(fields: string[], name: string): string {
  for (let index = 0; index + 1 < fields.length; index += 2) if (fields[index] === name) return fields[index + 1]!;
  return '';
}
