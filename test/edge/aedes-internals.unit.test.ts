// The fence around aedes' internals: the start-up check passes on the pinned aedes and names what
// is missing when an internal iotcore relies on has changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Aedes } from 'aedes';
import { checkAedesShape } from '../../services/edge/aedes/internals.js';

test('the pinned aedes has every internal iotcore uses', async () => {
  const broker = await Aedes.createBroker();
  try {
    assert.doesNotThrow(() => checkAedesShape(broker));
  } finally {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
});

test('a changed internal fails start-up with a message naming it', async () => {
  const broker = await Aedes.createBroker();
  const persistence = (broker as unknown as { persistence: { delWill?: unknown } }).persistence;
  const delWill = persistence.delWill;
  const handle = broker.handle.bind(broker);
  try {
    persistence.delWill = undefined;
    // A client whose parser moved: aedes renamed `_parser`.
    broker.handle = (stream) => {
      const client = handle(stream) as unknown as Record<string, unknown>;
      client.parser = client._parser;
      delete client._parser;
      return client as never;
    };
    assert.throws(
      () => checkAedesShape(broker),
      (error: Error) => {
        assert.match(error.message, /aedes internals iotcore relies on have changed/);
        assert.match(error.message, /broker\.persistence\.delWill\(\)/);
        assert.match(error.message, /client\._parser/);
        assert.doesNotMatch(error.message, /client\.clean|client\._will/);
        return true;
      },
    );
  } finally {
    persistence.delWill = delWill;
    broker.handle = handle;
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
});
