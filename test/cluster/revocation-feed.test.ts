// Two registry replicas, two edges linked to different replicas: every revocation made through
// either replica closes the affected connections on every edge within a second, and an edge whose
// feed connection is cut (or that was away while the feed was trimmed) catches up.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { Redis } from 'ioredis';
import { startCluster, type Cluster, type ApiClients } from './harness.js';
import { createdId } from '../registry/api/harness.js';
import { makeCertificate } from '../support/certificates.js';
import { Broker } from '../../services/generated/yandex/cloud/iot/broker/v1/broker.js';
import { scrape, total } from '../support/prometheus-text.js';

const PASSWORD = 'Revocation-Passw0rd!';
const SECOND_PASSWORD = 'Second-Passw0rd-22!';
/** The bound, with room for a loaded test machine: closed within 1 s of the API answer. */
const BOUND_MS = 1000;

describe('revocations reach every edge, whichever registry replica made them', () => {
  let cluster: Cluster;
  // Edge 0 watches replica 0; every change below goes through replica 1.
  let other: ApiClients;
  const clients: MqttClient[] = [];
  const latencies: Record<string, number> = {};
  const connect = async (username: string, clientId: string, extra: object = {}) => {
    const client = await cluster.connect(0, { username, password: PASSWORD, clientId, ...extra });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };
  /** Runs the change and resolves with how long after its answer `victim` was closed. */
  const closedAfter = async (victim: MqttClient, change: () => Promise<unknown>): Promise<number> => {
    const closed = new Promise<number>((resolve) => victim.once('close', () => resolve(Date.now())));
    await change();
    const answered = Date.now();
    const timeout = new Promise<number>((_, reject) =>
      setTimeout(() => reject(new Error('still connected 5 s after the change')), 5000).unref(),
    );
    const latency = (await Promise.race([closed, timeout])) - answered;
    latencies[String(Object.keys(latencies).length)] = latency;
    return latency;
  };
  /**
   * One after another, as the devices are created: each first connect verifies a password hash at
   * the registry, and 30 at once outlasted the 5 s CONNACK timeout while another test file loaded
   * the machine.
   */
  const connectEach = async (ids: string[], prefix: string): Promise<MqttClient[]> => {
    const connected: MqttClient[] = [];
    for (const id of ids) connected.push(await connect(id, `${prefix}-${id}`));
    return connected;
  };
  const stillConnected = async (client: MqttClient) => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(client.connected, 'an unaffected connection was closed');
  };

  before(async () => {
    cluster = await startCluster({ edges: 2, registries: 2 });
    other = cluster.apiOf(1);
  });
  after(async () => {
    console.log(`closed after the API answered (ms): ${JSON.stringify(latencies)}`);
    clients.forEach((client) => client.end(true));
    await cluster.close();
  });

  test('device deleted', async () => {
    const registryId = await other.createRegistry('deleted-device', PASSWORD);
    const [victimId, bystanderId] = [
      await other.createDevice(registryId, 'victim', PASSWORD),
      await other.createDevice(registryId, 'bystander', PASSWORD),
    ];
    const [victim, bystander] = [await connect(victimId, 'victim'), await connect(bystanderId, 'bystander')];
    assert.ok((await closedAfter(victim, () => other.devices.delete({ device_id: victimId }))) < BOUND_MS);
    await stillConnected(bystander);
  });

  test('registry disabled', async () => {
    const [disabled, kept] = [await other.createRegistry('disabled', PASSWORD), await other.createRegistry('kept', PASSWORD)];
    const victim = await connect(await other.createDevice(disabled, 'd', PASSWORD), 'in-disabled');
    const registryClient = await connect(disabled, 'registry-client');
    const bystander = await connect(await other.createDevice(kept, 'd', PASSWORD), 'in-kept');
    const registryClosed = new Promise((resolve) => registryClient.once('close', () => resolve(undefined)));
    assert.ok((await closedAfter(victim, () => other.registries.disable({ registry_id: disabled }))) < BOUND_MS);
    await registryClosed;
    await stillConnected(bystander);
  });

  test('password deleted: only the connection that used it', async () => {
    const registryId = await other.createRegistry('passwords', PASSWORD);
    const deviceId = await other.createDevice(registryId, 'two-passwords', PASSWORD);
    await other.devices.addPassword({ device_id: deviceId, password: SECOND_PASSWORD });
    const victim = await connect(deviceId, 'first-password');
    const bystander = await connect(deviceId, 'second-password', { password: SECOND_PASSWORD });
    const { passwords } = await other.devices.listPasswords({ device_id: deviceId });
    const first = passwords.sort((a, b) => a.created_at!.getTime() - b.created_at!.getTime())[0]!;
    assert.ok((await closedAfter(victim, () => other.devices.deletePassword({ device_id: deviceId, password_id: first.id }))) < BOUND_MS);
    await stillConnected(bystander);
    // The deleted password was verified (and remembered in the shared cache) on replica 0: refused now.
    await assert.rejects(
      cluster.connect(0, { username: deviceId, password: PASSWORD, clientId: 'old-password' }),
      /Bad username or password/,
    );
  });

  test('certificate deleted', async () => {
    const registryId = await other.createRegistry('certificates', PASSWORD);
    const [revoked, kept] = [makeCertificate('revoked-device'), makeCertificate('kept-device')];
    const deviceId = await other.createDevice(registryId, 'certified', PASSWORD);
    const keptId = await other.createDevice(registryId, 'kept', PASSWORD);
    await other.devices.addCertificate({ device_id: deviceId, certificate_data: revoked.certPem });
    await other.devices.addCertificate({ device_id: keptId, certificate_data: kept.certPem });
    const noPassword = { username: undefined, password: undefined };
    const victim = await connect('', 'by-certificate', { ...noPassword, cert: revoked.certPem, key: revoked.keyPem });
    const bystander = await connect('', 'kept-certificate', { ...noPassword, cert: kept.certPem, key: kept.keyPem });
    assert.ok(
      (await closedAfter(victim, () => other.devices.deleteCertificate({ device_id: deviceId, fingerprint: revoked.opensslFingerprint }))) <
        BOUND_MS,
    );
    await stillConnected(bystander);
  });

  test('aliases changed', async () => {
    const registryId = await other.createRegistry('aliases', PASSWORD);
    const deviceId = await other.createDevice(registryId, 'aliased', PASSWORD);
    const bystanderId = await other.createDevice(registryId, 'plain', PASSWORD);
    await other.devices.update({
      device_id: deviceId,
      update_mask: ['topic_aliases'],
      topic_aliases: { 'old/': `$devices/${deviceId}/events/` },
      name: '',
      description: '',
      labels: {},
    });
    const victim = await connect(deviceId, 'aliased');
    const bystander = await connect(bystanderId, 'plain');
    const change = () =>
      other.devices.update({
        device_id: deviceId,
        update_mask: ['topic_aliases'],
        topic_aliases: { 'new/': `$devices/${deviceId}/events/` },
        name: '',
        description: '',
        labels: {},
      });
    assert.ok((await closedAfter(victim, change)) < BOUND_MS);
    await stillConnected(bystander);
  });

  test('broker deleted', async () => {
    const create = async (name: string) =>
      createdId(
        await other.brokers.create({
          folder_id: 'cluster',
          name,
          description: '',
          labels: {},
          certificates: [],
          password: PASSWORD,
          log_options: undefined,
        }),
        Broker,
      );
    const [deletedId, keptId] = [await create('deleted-broker'), await create('kept-broker')];
    const [victim, bystander] = [await connect(deletedId, 'broker-client'), await connect(keptId, 'broker-client')];
    assert.ok((await closedAfter(victim, () => other.brokers.delete({ broker_id: deletedId }))) < BOUND_MS);
    await stillConnected(bystander);
  });

  test("an edge whose feed connection is cut during a burst of deletions closes every deleted device's connection", async () => {
    const registryId = await other.createRegistry('burst', PASSWORD);
    // One after another: 30 password hashes at once can outlast the API deadline on a loaded machine.
    const ids: string[] = [];
    for (let index = 0; index < 30; index++) ids.push(await other.createDevice(registryId, `burst-${index}`, PASSWORD));
    const victims = await connectEach(ids, 'burst');
    const allClosed = Promise.all(victims.map((victim) => new Promise((resolve) => victim.once('close', () => resolve(undefined)))));
    const admin = new Redis(cluster.redis.url);
    try {
      let cuts = 0;
      const cutting = setInterval(() => void killFeedConnections(admin).then((killed) => (cuts += killed)), 25);
      for (const id of ids) await other.devices.delete({ device_id: id });
      clearInterval(cutting);
      assert.ok(cuts > 0, 'no feed connection was cut');
    } finally {
      admin.disconnect();
    }
    await withTimeout(allClosed, 10_000, 'deleted devices still connected after the feed came back');
    for (const id of ids.slice(0, 3)) {
      await assert.rejects(
        cluster.connect(0, { username: id, password: PASSWORD, clientId: `again-${id}` }),
        /Bad username or password|Not authorized/,
      );
    }
  });

  test('an edge that was away while the feed was trimmed rechecks every session', async () => {
    const registryId = await other.createRegistry('trimmed', PASSWORD);
    const ids: string[] = [];
    for (let index = 0; index < 10; index++) ids.push(await other.createDevice(registryId, `away-${index}`, PASSWORD));
    const keptId = await other.createDevice(registryId, 'stays', PASSWORD);
    const victims = await connectEach(ids, 'away');
    const kept = await connect(keptId, 'stays');
    const allClosed = Promise.all(victims.map((victim) => new Promise((resolve) => victim.once('close', () => resolve(undefined)))));
    const rechecksBefore = await rechecks(cluster, 0);
    cluster.edges[0]!.pause();
    const admin = new Redis(cluster.redis.url);
    try {
      for (const id of ids) await other.devices.delete({ device_id: id });
      await admin.xtrim('{iotcore:revocations}', 'MAXLEN', 0);
    } finally {
      admin.disconnect();
      cluster.edges[0]!.resume();
    }
    await withTimeout(allClosed, 15_000, 'deleted devices still connected after the recheck');
    assert.ok((await rechecks(cluster, 0)) > rechecksBefore, 'no recheck counted');
    await stillConnected(kept);
    const readiness = await cluster.edges[0]!.readiness();
    assert.equal(readiness.checks.revocation_feed, true);
  });
});

async function killFeedConnections(admin: Redis): Promise<number> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  const ids = list
    .split('\n')
    .filter((line) => line.includes('name=iotcore:revocation-feed'))
    .map((line) => /\bid=(\d+)/.exec(line)![1]!);
  for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id).catch(() => undefined);
  return ids.length;
}

async function rechecks(cluster: Cluster, edge: number): Promise<number> {
  return total(await scrape(`http://127.0.0.1:${cluster.edges[edge]!.httpPort}/metrics`), 'iotcore_revocation_rechecks_total');
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref())]);
}
