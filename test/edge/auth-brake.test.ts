// The brute-force brake on real sockets: guesses from one address at a device's or a broker's ID
// are refused after a few, while the owner keeps connecting from another address
// (loopback 127.0.0.2 is the attacker, 127.0.0.1 the owner).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'prom-client';
import { createRegistry, setRegistryEnabled } from '../../services/registry/resources/registries.js';
import { createDevice } from '../../services/registry/resources/devices.js';
import { createBroker } from '../../services/registry/resources/brokers.js';
import { rawConnack, startEdgeHarness, type EdgeHarness } from './harness.js';
import { makeCertificate } from '../support/certificates.js';

const DEVICE_PASSWORD = 'Device-Passw0rd-0001';
const BROKER_PASSWORD = 'Broker-Passw0rd-0001';
const ATTACKER = '127.0.0.2';
const OWNER = '127.0.0.1';

const certificate = makeCertificate('cert-device');
let harness: EdgeHarness;
let D: string;
let B: string;
/** A device of a disabled registry: its right password gets CONNACK 5. */
let disabledDevice: string;

before(async () => {
  harness = await startEdgeHarness();
  const ctx = harness.api.api.ctx;
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
  D = (
    await createDevice(ctx, {
      registry_id: R,
      name: 'd',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: DEVICE_PASSWORD,
    })
  ).id;
  await createDevice(ctx, {
    registry_id: R,
    name: 'by-certificate',
    description: '',
    labels: {},
    topic_aliases: {},
    certificates: [certificate.certPem],
  });
  const disabled = (
    await createRegistry(ctx, {
      folder_id: 'f',
      name: 'off',
      description: '',
      labels: {},
      certificates: [],
      password: 'Registry-Passw0rd-02',
    })
  ).id;
  disabledDevice = (
    await createDevice(ctx, {
      registry_id: disabled,
      name: 'd',
      description: '',
      labels: {},
      topic_aliases: {},
      certificates: [],
      password: DEVICE_PASSWORD,
    })
  ).id;
  await setRegistryEnabled(ctx, disabled, false);
  B = (await createBroker(ctx, { folder_id: 'f', name: 'b', description: '', labels: {}, certificates: [], password: BROKER_PASSWORD })).id;
});
after(() => harness.close());

/** One CONNECT from `localAddress` to the harness's edge; its CONNACK return code. */
const connack = (localAddress: string, username: string, password: string) =>
  rawConnack(harness.port, harness.ca, localAddress, username, password);

async function throttled(scope: string): Promise<number> {
  const metric = await register.getSingleMetric('iotcore_auth_throttled_total')!.get();
  return metric.values.find((value) => value.labels.scope === scope)?.value ?? 0;
}

test('100 guesses a second at a device ID from one address do not stop the device connecting from another', async (t) => {
  const refusedBefore = await throttled('address_username');
  const guesses: Array<Promise<number>> = [];
  const ownerCodes: number[] = [];
  const ownerMs: number[] = [];
  const started = Date.now();
  // 100 a second on average, whatever the timers' jitter.
  const flood = setInterval(() => {
    while (guesses.length < (Date.now() - started) / 10) guesses.push(connack(ATTACKER, D, `wrong-${guesses.length}`));
  }, 10);
  try {
    // At least 3 s and 5 connects of the owner: on a starved machine one connect can take seconds.
    while ((Date.now() - started < 3000 || ownerCodes.length < 5) && Date.now() - started < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const ownerStarted = Date.now();
      ownerCodes.push(await connack(OWNER, D, DEVICE_PASSWORD));
      ownerMs.push(Date.now() - ownerStarted);
    }
  } finally {
    clearInterval(flood);
  }
  const floodMs = Date.now() - started;
  const codes = await Promise.all(guesses);
  const checked = codes.filter((code) => code === 4).length;
  const refused = codes.filter((code) => code === 5).length;
  t.diagnostic(
    `${guesses.length} guesses in ${Date.now() - started} ms: ${checked} checked (CONNACK 4), ${refused} refused (5); owner connects ${JSON.stringify(ownerCodes)} in ${JSON.stringify(ownerMs)} ms`,
  );
  assert.ok(guesses.length >= 250, `${guesses.length} guesses sent`);
  assert.deepEqual(
    ownerCodes,
    ownerCodes.map(() => 0),
    'every connect of the owner was accepted',
  );
  assert.ok(ownerCodes.length >= 5);
  assert.equal(checked + refused, codes.length, 'wrong passwords get CONNACK 4, refusals 5');
  // Six (five free failures and the one that starts the back-off), then one as each back-off ends
  // (1 s, 2 s, 4 s … after the last, so at about 1, 3, 7, 15 s), and one of slack.
  const backoffsEnded = [1000, 3000, 7000, 15_000].filter((end) => end <= floodMs).length;
  assert.ok(checked >= 6 && checked <= 7 + backoffsEnded, `${checked} guesses checked, ${refused} refused in ${floodMs} ms`);
  assert.ok((await throttled('address_username')) - refusedBefore >= refused - 1, 'refusals are counted in iotcore_auth_throttled_total');
  assert.equal(await connack(ATTACKER, D, DEVICE_PASSWORD), 5, 'from the guessing address even the right password waits out the back-off');
});

test('20 wrong passwords for a broker ID from one address do not refuse its owner elsewhere', async () => {
  const attacker = '127.0.0.3';
  for (let attempt = 0; attempt < 20; attempt++)
    assert.equal(await connack(attacker, B, `wrong-${attempt}`), attempt < 6 ? 4 : 5, `attempt ${attempt + 1}`);
  assert.equal(await connack(attacker, B, BROKER_PASSWORD), 5, 'the guessing address is backing off');
  assert.equal(await connack(OWNER, B, BROKER_PASSWORD), 0, 'the owner connects');
});

test('certificate-only clients behind one address are told apart: strangers failing do not refuse a registered certificate', async () => {
  // All at once, as a fleet behind one NAT reconnects.
  const strangers = Array.from({ length: 8 }, (_, n) => makeCertificate(`stranger-${n}`));
  const attempts = strangers.map((stranger) =>
    assert.rejects(harness.connect({ cert: stranger.certPem, key: stranger.keyPem }), (error: { code?: number }) => error.code === 5),
  );
  const device = await harness.connect({ cert: certificate.certPem, key: certificate.keyPem, clientId: 'by-certificate' });
  await Promise.all(attempts);
  assert.ok(device.connected);
});

test("refusals that are no guess (a disabled registry's devices retrying behind one NAT) do not get the address refused", async () => {
  const nat = '127.0.0.5';
  for (let attempt = 0; attempt < 30; attempt++) assert.equal(await connack(nat, disabledDevice, DEVICE_PASSWORD), 5);
  assert.equal(await connack(nat, D, DEVICE_PASSWORD), 0, 'another device behind the same address connects');
});
