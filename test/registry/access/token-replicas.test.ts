// Two registry replicas sharing one MongoDB-compatible store (as in a cluster, each with its own
// token cache): a token made on one works on both, and an expired token and a revoked token are
// refused by both within 5 s, over gRPC and REST alike.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { promiseClient } from '../../../services/common/grpc-client.js';
import { openMongoStore } from '../../../services/registry/store/mongo.js';
import { openMongoLogStore } from '../../../services/registry/logs/mongo-log-store.js';
import type { RegistryStore } from '../../../services/registry/store/contract.js';
import { startRegistryApi, type RunningRegistryApi } from '../../../services/registry/server.js';
import { ListRegistriesRequest, RegistryServiceClient } from '../../../services/generated/yandex/cloud/iot/devices/v1/registry_service.js';
import { AccessTokenServiceClient, CreateAccessTokenRequest } from '../../../services/generated/iotcore/access/v1/access.js';
import { mongoUrl, uniqueDbName } from '../../support/servers.js';

const ADMIN_TOKEN = 'replicas-admin-token';
const REFUSED_WITHIN_MS = 5000;

describe('scoped tokens on two registry replicas sharing a store', () => {
  let client: MongoClient;
  const stores: RegistryStore[] = [];
  const replicas: RunningRegistryApi[] = [];
  const opened: Array<{ close(): void }> = [];

  before(async () => {
    client = new MongoClient(await mongoUrl());
    const dbName = uniqueDbName('token_replicas');
    for (let replica = 0; replica < 2; replica++) {
      const store = await openMongoStore(client, dbName);
      stores.push(store);
      replicas.push(
        await startRegistryApi({
          store,
          logStore: await openMongoLogStore(
            client.db(dbName),
            { maxAgeMs: 3_600_000, maxEntries: 1000 },
            () => undefined,
            async () => undefined,
          ),
          listen: '127.0.0.1:0',
          restListen: '127.0.0.1:0',
          adminTokens: [ADMIN_TOKEN],
          idPrefix: 'are',
          quotas: { registries_per_folder: 0, devices_per_folder: 0, brokers_per_folder: 0 },
          logger: pino({ level: 'silent' }),
          audit: () => {},
        }),
      );
    }
  });
  after(async () => {
    for (const each of opened) each.close();
    for (const replica of replicas) await replica.close();
    for (const store of stores) await store.close();
    await client.close();
  });

  const metadata = (token: string) => {
    const result = new Metadata();
    result.set('authorization', `Bearer ${token}`);
    return result;
  };
  const tokens = (replica: RunningRegistryApi) => {
    const raw = new AccessTokenServiceClient(replica.address, credentials.createInsecure());
    opened.push(raw);
    return promiseClient(raw, metadata(ADMIN_TOKEN));
  };
  /** What `replica` answers `token` over gRPC and over REST: 'ok', or the gRPC code / HTTP status. */
  const outcomes = async (replica: RunningRegistryApi, token: string) => {
    const raw = new RegistryServiceClient(replica.address, credentials.createInsecure());
    opened.push(raw);
    const grpc = await promiseClient(raw, metadata(token))
      .list(ListRegistriesRequest.fromPartial({ folder_id: 'folder-a' }))
      .then(
        () => 'ok' as const,
        (error: ServiceError) => error.code,
      );
    const response = await fetch(`http://${replica.restAddress}/iot-devices/v1/registries?folderId=folder-a`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    return { grpc, rest: response.status === 200 ? ('ok' as const) : response.status };
  };
  const create = async (expires_at?: Date) =>
    tokens(replicas[0]!).create(
      CreateAccessTokenRequest.fromPartial({ grants: [{ folder_id: 'folder-a', role: 'iot.viewer' }], expires_at }),
    );
  /** Polls both replicas until both refuse `token` on both transports; how long that took. */
  const refusedEverywhere = async (token: string, since: number): Promise<number> => {
    for (;;) {
      const answers = await Promise.all(replicas.map((replica) => outcomes(replica, token)));
      if (answers.every((answer) => answer.grpc === status.UNAUTHENTICATED && answer.rest === 401)) return Date.now() - since;
      for (const answer of answers) {
        assert.ok([answer.grpc, answer.rest].every((value) => value === 'ok' || value === status.UNAUTHENTICATED || value === 401));
      }
      assert.ok(
        Date.now() - since < REFUSED_WITHIN_MS,
        `still accepted somewhere after ${REFUSED_WITHIN_MS} ms: ${JSON.stringify(answers)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  test('a token made on one replica works on both', async () => {
    const { secret } = await create();
    for (const replica of replicas) assert.deepEqual(await outcomes(replica, secret), { grpc: 'ok', rest: 'ok' });
  });

  test('a revoked token is refused by both replicas within 5 s', async (t) => {
    const { secret, access_token } = await create();
    // Both replicas have the token in their caches before it is revoked.
    for (const replica of replicas) assert.deepEqual(await outcomes(replica, secret), { grpc: 'ok', rest: 'ok' });
    const revokedAt = Date.now();
    await tokens(replicas[0]!).revoke({ token_id: access_token!.id });
    const took = await refusedEverywhere(secret, revokedAt);
    t.diagnostic(`refused by both replicas ${took} ms after the revocation`);
  });

  test('an expired token is refused by both replicas within 5 s of its expiry', async (t) => {
    const expiresAt = new Date(Date.now() + 1500);
    const { secret } = await create(expiresAt);
    for (const replica of replicas) assert.deepEqual(await outcomes(replica, secret), { grpc: 'ok', rest: 'ok' });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now())));
    const took = await refusedEverywhere(secret, expiresAt.getTime());
    t.diagnostic(`refused by both replicas ${took} ms after the expiry`);
  });
});
