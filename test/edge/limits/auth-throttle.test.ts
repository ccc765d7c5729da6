import { test } from 'node:test';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { AuthThrottle, addressKey } from '../../../services/edge/limits/auth-throttle.js';

const A = '10.0.0.1';

test('auth throttle: per (address, username) free failures, doubling back-off capped at 60 s, reset by success or time', async () => {
  let now = 0;
  const throttle = new AuthThrottle({ now: () => now });
  for (let attempt = 0; attempt < 5; attempt++) await throttle.failure(A, 'dev');
  assert.equal(await throttle.refusal(A, 'dev'), undefined, 'five failures are free');
  await throttle.failure(A, 'dev');
  assert.equal(await throttle.refusal(A, 'dev'), 'address_username');
  now += 1001;
  assert.equal(await throttle.refusal(A, 'dev'), undefined, 'first back-off is 1 s');
  await throttle.failure(A, 'dev');
  now += 1500;
  assert.equal(await throttle.refusal(A, 'dev'), 'address_username', 'then 2 s');
  for (let attempt = 0; attempt < 10; attempt++) await throttle.failure(A, 'dev');
  now += 60_001;
  assert.equal(await throttle.refusal(A, 'dev'), undefined, 'never more than 60 s');
  await throttle.failure(A, 'dev');
  assert.equal(await throttle.refusal(A, 'other'), undefined, 'other usernames from the address are unaffected');
  assert.equal(await throttle.refusal('10.0.0.2', 'dev'), undefined, 'the username from other addresses is unaffected');
  await throttle.success(A, 'dev');
  assert.equal(await throttle.refusal(A, 'dev'), undefined, 'a success ends the back-off');
  for (let attempt = 0; attempt < 5; attempt++) await throttle.failure(A, 'old');
  now += 16 * 60_000;
  await throttle.failure(A, 'old');
  assert.equal(await throttle.refusal(A, 'old'), undefined, 'old failures are forgotten');
});

test('auth throttle: an address is refused for every username past 20 failures, and a success does not reset it', async () => {
  let now = 0;
  const throttle = new AuthThrottle({ now: () => now });
  for (let attempt = 0; attempt < 20; attempt++) await throttle.failure(A, `guess-${attempt}`);
  await throttle.success(A, 'own-device');
  assert.equal(await throttle.refusal(A, 'anyone'), undefined, 'twenty failures are free');
  await throttle.failure(A, 'guess-20');
  assert.equal(await throttle.refusal(A, 'own-device'), 'address');
  assert.equal(await throttle.refusal('10.0.0.2', 'own-device'), undefined);
  now += 1001;
  await throttle.success(A, 'own-device');
  await throttle.failure(A, 'guess-21');
  now += 1500;
  assert.equal(await throttle.refusal(A, 'anyone'), 'address', 'the success did not reset the address: 2 s now');
});

test('auth throttle: guesses at a username from one address never refuse it from another; the guessing is reported once', async () => {
  let now = 0;
  const throttle = new AuthThrottle({ now: () => now });
  let reports = 0;
  let checked = 0;
  // 100 guesses a second for a minute, as far as the brake lets them through.
  for (let attempt = 0; attempt < 6000; attempt++, now += 10) {
    if (await throttle.refusal(A, 'device-id')) continue;
    checked++;
    if ((await throttle.failure(A, 'device-id')).usernameGuessed) reports++;
  }
  assert.ok(checked <= 12, `${checked} of 6000 guesses reached the credential check`);
  assert.equal(await throttle.refusal(A, 'device-id'), 'address_username');
  assert.equal(await throttle.refusal('10.0.0.2', 'device-id'), undefined, 'the owner elsewhere is not refused');
  // The same username guessed from many addresses: counted, never refused.
  for (let n = 0; n < 500; n++) if ((await throttle.failure(`10.9.${n >> 8}.${n & 255}`, 'device-id')).usernameGuessed) reports++;
  assert.equal(await throttle.refusal('10.0.0.2', 'device-id'), undefined);
  assert.equal(reports, 1, 'the 21st failure within the window reports the username once');
});

test('auth throttle: 200,000 distinct usernames from one address do not reset its block; memory stays bounded', async () => {
  const throttle = new AuthThrottle({ now: () => 0 });
  // Attempts in flight together all pass the check before the first failure is counted.
  for (let n = 0; n < 200_000; n++) {
    await throttle.failure(A, `junk-${n}`);
    if (n === 21 || n === 150_000) assert.equal(await throttle.refusal(A, 'real-device'), 'address', `blocked after ${n + 1} failures`);
  }
  assert.equal(await throttle.refusal(A, 'real-device'), 'address');
  const sizes = throttle.sizes();
  for (const [table, size] of Object.entries(sizes))
    assert.ok(size.free <= 100_000 && size.penalised <= 100_000, `${table}: ${JSON.stringify(size)}`);
});

test('auth throttle: 100,000 junk usernames from other addresses do not reset the back-off of the real one', async () => {
  let now = 0;
  const throttle = new AuthThrottle({ now: () => now });
  for (let attempt = 0; attempt < 8; attempt++) await throttle.failure(A, 'real-device');
  assert.equal(await throttle.refusal(A, 'real-device'), 'address_username', 'eighth failure: 4 s');
  for (let n = 0; n < 100_000; n++) await throttle.failure(`11.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, `junk-${n}`);
  assert.equal(await throttle.refusal(A, 'real-device'), 'address_username', 'still backing off');
  now += 4001;
  assert.equal(await throttle.refusal(A, 'real-device'), undefined);
  await throttle.failure(A, 'real-device');
  now += 7000;
  assert.equal(
    await throttle.refusal(A, 'real-device'),
    'address_username',
    'the ninth failure doubles to 8 s: the count survived the junk',
  );
});

test('auth throttle: attempts sent together are checked no more than the free failures left at a time; the others wait, then see the outcome', async () => {
  let now = 0;
  const throttle = new AuthThrottle({ now: () => now });
  const settled = (attempts: Array<Promise<unknown>>) =>
    Promise.all(attempts.map((attempt) => Promise.race([attempt.then(() => true), setImmediatePromise(false)])));
  // 50 guesses at once: 6 are checked (five free failures and the one that starts the back-off).
  const guesses = Array.from({ length: 50 }, () => throttle.refusal(A, 'dev'));
  assert.equal((await settled(guesses)).filter(Boolean).length, 6, 'six are checked, the others wait');
  assert.equal(await throttle.refusal(A, 'other'), undefined, 'other usernames from the address are checked');
  for (let attempt = 0; attempt < 6; attempt++) await throttle.failure(A, 'dev');
  const verdicts = await Promise.all(guesses);
  assert.deepEqual(verdicts.slice(6), Array(44).fill('address_username'), 'the waiting ones are refused by the back-off the six earned');
  now += 1001;
  const first = throttle.refusal(A, 'dev');
  const second = throttle.refusal(A, 'dev');
  assert.equal(await first, undefined, 'after the back-off: one check at a time');
  assert.deepEqual(await settled([second]), [false], 'the next one waits for it');
  await throttle.failure(A, 'dev');
  assert.equal(await second, 'address_username', 'and sees the doubled back-off');

  // 100 instances of a backend behind one NAT, all with the right credential at once: every one is
  // checked, six at a time.
  const fleet = new AuthThrottle({ now: () => 0 });
  let checked = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      assert.equal(await fleet.refusal(A, 'registry'), undefined);
      checked++;
      await new Promise((resolve) => setImmediate(resolve));
      await fleet.success(A, 'registry');
    }),
  );
  assert.equal(checked, 100);
});

test('auth throttle: IPv6 clients count by their /64, IPv4 ones by address also when written IPv4-mapped', async () => {
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:0db8:0001:0002:bbbb:0:0:2'), '2001:db8:1:2::/64');
  assert.equal(addressKey('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(addressKey('::FFFF:10.0.0.1'), '10.0.0.1');
  assert.equal(addressKey('0:0:0:0:0:ffff:a00:1'), '10.0.0.1');
  assert.equal(addressKey('10.0.0.1'), '10.0.0.1');
  const throttle = new AuthThrottle({ now: () => 0 });
  for (let n = 0; n < 21; n++) await throttle.failure(`2001:db8:1:2::${(n + 1).toString(16)}`, `guess-${n}`);
  assert.equal(await throttle.refusal('2001:db8:1:2:ffff::9', 'anyone'), 'address', 'a new address in the same /64');
  assert.equal(await throttle.refusal('2001:db8:1:3::1', 'anyone'), undefined, 'the next /64 is another client');
  for (let n = 0; n < 21; n++) await throttle.failure('::ffff:10.3.0.1', `guess-${n}`);
  assert.equal(await throttle.refusal('10.3.0.1', 'anyone'), 'address');
  assert.equal(await throttle.refusal('::ffff:10.3.0.2', 'anyone'), undefined, 'IPv4 clients are not lumped into ::ffff:0:0/64');
});
