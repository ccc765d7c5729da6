// The in-memory revocation feed: numbering, resuming from a position, and gaps.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RevocationLog } from '../../services/common/revocations/revocation-log.js';
import type { FeedCursor, Revocation, RevocationHandler } from '../../services/contracts/revocations.js';

const deleted = (id: string): Revocation => ({ kind: 'DEVICE_DELETED', entity_id: id, registry_id: 'r', credential_id: '' });

function recorder() {
  const events: string[] = [];
  let head: FeedCursor | undefined;
  const handler: RevocationHandler = {
    revocation: (revocation, cursor) => events.push(`${revocation.entity_id}@${cursor.seq}`),
    gap: () => events.push('gap'),
    ready: (cursor) => {
      head = cursor;
      events.push(`ready@${cursor.seq}`);
    },
    lost: () => events.push('lost'),
  };
  return { events, handler, head: () => head };
}

describe('RevocationLog', () => {
  test('numbers revocations 1, 2, 3 and delivers them live after ready', () => {
    const log = new RevocationLog();
    const follower = recorder();
    log.follow(undefined, follower.handler);
    log.append(deleted('a'));
    log.append(deleted('b'));
    assert.deepEqual(follower.events, ['ready@0', 'a@1', 'b@2']);
  });

  test('a follower resuming from its position gets what it missed, in order, then ready', () => {
    const log = new RevocationLog();
    const first = recorder();
    const stop = log.follow(undefined, first.handler);
    log.append(deleted('a'));
    stop();
    log.append(deleted('b'));
    log.append(deleted('c'));
    const again = recorder();
    log.follow({ epoch: log.head.epoch, seq: 1 }, again.handler);
    assert.deepEqual(again.events, ['b@2', 'c@3', 'ready@3']);
  });

  test('a position older than the history, or of another epoch, is a gap', () => {
    const log = new RevocationLog({ history: 2 });
    for (const id of ['a', 'b', 'c', 'd']) log.append(deleted(id));
    const old = recorder();
    log.follow({ epoch: log.head.epoch, seq: 1 }, old.handler);
    assert.deepEqual(old.events, ['gap', 'ready@4']);
    const foreign = recorder();
    log.follow({ epoch: 'another', seq: 4 }, foreign.handler);
    assert.deepEqual(foreign.events, ['gap', 'ready@4']);
    const current = recorder();
    log.follow({ epoch: log.head.epoch, seq: 3 }, current.handler);
    assert.deepEqual(current.events, ['d@4', 'ready@4']);
  });

  test('a mirror passes on its source gaps and losses, and replays a gap to a follower crossing it', () => {
    const mirror = new RevocationLog({ live: false });
    const live = recorder();
    mirror.follow(undefined, live.handler);
    assert.deepEqual(live.events, [], 'not ready before the source is');
    mirror.mirrorReady({ epoch: 'E', seq: 10 });
    mirror.mirror(deleted('a'), { epoch: 'E', seq: 11 });
    mirror.mirrorLost();
    // The source skipped 12–13 (trimmed while away): a gap, then it goes on.
    mirror.mirror(deleted('b'), { epoch: 'E', seq: 14 });
    mirror.mirrorReady({ epoch: 'E', seq: 14 });
    assert.deepEqual(live.events, ['ready@10', 'a@11', 'lost', 'gap', 'b@14', 'ready@14']);
    const late = recorder();
    mirror.follow({ epoch: 'E', seq: 11 }, late.handler);
    assert.deepEqual(late.events, ['gap', 'b@14', 'ready@14']);
  });
});
