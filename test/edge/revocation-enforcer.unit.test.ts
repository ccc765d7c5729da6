// Which sessions a revocation ends, and what a recheck after a gap in the feed decides (no sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRevoked, recheckVerdict, type EnforcedSession } from '../../services/edge/revocation-enforcer.js';
import type { Revocation } from '../../services/contracts/revocations.js';

const base = { folder_id: 'f', topic_aliases: {}, registry_aliases: [] };
const device: EnforcedSession = {
  principal: { ...base, kind: 'device', id: 'd1', registry_id: 'r1', credential_id: 'p1', topic_aliases: { 'a/': '$devices/d1/events/' } },
};
const registry: EnforcedSession = { principal: { ...base, kind: 'registry', id: 'r1', registry_id: 'r1', credential_id: 'fp' } };
const broker: EnforcedSession = { principal: { ...base, kind: 'broker', id: 'b1', registry_id: '', credential_id: 'p9' } };
const revocation = (kind: Revocation['kind'], entity_id: string, registry_id = '', credential_id = ''): Revocation => ({
  kind,
  entity_id,
  registry_id,
  credential_id,
});

test('a revocation ends exactly the sessions it names', () => {
  const cases: Array<[Revocation, boolean[]]> = [
    [revocation('DEVICE_DELETED', 'd1', 'r1'), [true, false, false]],
    [revocation('REGISTRY_DISABLED', 'r1', 'r1'), [true, true, false]],
    [revocation('REGISTRY_DELETED', 'r2', 'r2'), [false, false, false]],
    [revocation('PASSWORD_DELETED', 'd1', 'r1', 'p1'), [true, false, false]],
    [revocation('PASSWORD_DELETED', 'd1', 'r1', 'p2'), [false, false, false]],
    [revocation('CERTIFICATE_DELETED', 'r1', 'r1', 'fp'), [false, true, false]],
    [revocation('DEVICE_ALIASES_CHANGED', 'd2', 'r1'), [false, true, false]],
    [revocation('BROKER_DELETED', 'b1'), [false, false, true]],
  ];
  for (const [change, expected] of cases)
    assert.deepEqual(
      [device, registry, broker].map((session) => isRevoked(session, change)),
      expected,
      change.kind,
    );
});

test('a recheck keeps a session only if it is still allowed with the same aliases', () => {
  const ok = (topic_aliases: Record<string, string>) => ({
    result: 'OK' as const,
    principal: {
      kind: 'device' as const,
      id: 'd1',
      registry_id: 'r1',
      folder_id: 'f',
      credential_id: 'p1',
      topic_aliases,
      registry_aliases: [],
    },
  });
  assert.equal(recheckVerdict(device, ok({ 'a/': '$devices/d1/events/' })), undefined);
  assert.equal(recheckVerdict(device, ok({ 'b/': '$devices/d1/events/' })), 'aliases changed');
  assert.equal(recheckVerdict(device, { result: 'NOT_AUTHORIZED', reason: 'device no longer exists' }), 'device no longer exists');
  assert.equal(recheckVerdict(device, undefined), 'not rechecked');
});
