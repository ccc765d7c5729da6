// Password checks run one slow hash at a time per username: many guesses at one device's password
// take one hashing slot between them, so other devices are not starved, and the guessed device's
// owner is slowed (waits its turn), never refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../../../services/registry/resources/registries.js';
import { createDevice } from '../../../services/registry/resources/devices.js';
import { startApi } from '../api/harness.js';

test("guesses at one username do not hold up another username's password check", async (t) => {
  const harness = await startApi();
  t.after(() => harness.close());
  const ctx = harness.api.ctx;
  const authenticator = harness.api.authenticator;
  const R = (
    await createRegistry(ctx, {
      folder_id: 'f',
      name: 'r',
      description: '',
      labels: {},
      certificates: [],
      password: 'Registry-Passw0rd-01',
    })
  ).id;
  const guessed = (
    await createDevice(ctx, {
      registry_id: R,
      name: 'guessed',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: 'Guessed-Passw0rd-001',
    })
  ).id;
  const other = (
    await createDevice(ctx, {
      registry_id: R,
      name: 'other',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: 'Other-Passw0rd-00001',
    })
  ).id;

  const finished: string[] = [];
  const check = (label: string, username: string, password: string) =>
    authenticator.authenticate({ username, password: Buffer.from(password) }).then((outcome) => {
      finished.push(label);
      return outcome.result;
    });
  const guesses = Array.from({ length: 12 }, (_, n) => check(`guess-${n}`, guessed, `Wrong-Passw0rd-${n}`));
  const owner = check('owner', guessed, 'Guessed-Passw0rd-001');
  const otherDevice = check('other', other, 'Other-Passw0rd-00001');

  assert.deepEqual(
    await Promise.all(guesses),
    guesses.map(() => 'BAD_USERNAME_OR_PASSWORD'),
  );
  assert.equal(await owner, 'OK', "the guessed device's owner is slowed, not refused");
  assert.equal(await otherDevice, 'OK');
  const guessesBeforeOther = finished.indexOf('other');
  // All in one queue (four hashes at a time, first come first served) the other device would wait
  // for about eight guesses; with one hashing slot per username, for one or two at most.
  assert.ok(guessesBeforeOther <= 2, `other device checked after ${guessesBeforeOther} guesses: ${finished.join(' ')}`);
  assert.equal(finished.at(-1), 'owner', 'the owner waits behind the guesses made before it');
});
