// Internal topics back to Yandex's: the sliced translation agrees, level for level, with the
// definition (split into levels, swap the first three for the Yandex root, join).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { monitoringInternal, parseCanonical, toCanonical, toInternal } from '../../../services/edge/topics/namespace.js';

function byLevels(internal: string): string | undefined {
  const levels = internal.split('/');
  if (levels[0] !== '$iot' || levels.length < 3) return undefined;
  const rest = levels.slice(3);
  if (levels[2] === 'devices') return ['$devices', ...rest].join('/');
  if (levels[2] === 'monitoring') return ['$monitoring', ...rest].join('/');
  if (levels[2] === 'registry') return ['$registries', levels[1]!, ...rest].join('/');
  return undefined;
}

test('toCanonical agrees with the level-by-level definition, empty levels and odd shapes included', () => {
  const level = fc.constantFrom('$iot', 'are1', 'devices', 'registry', 'monitoring', 'events', 'json', '', '+', '#', 'x/y', '$iotx');
  fc.assert(
    fc.property(fc.array(level, { minLength: 1, maxLength: 7 }), (levels) => {
      const internal = levels.join('/');
      assert.equal(toCanonical(internal), byLevels(internal), internal);
    }),
    { numRuns: 5000 },
  );
  assert.equal(toCanonical('$iot/R/devices/D/events/a/'), '$devices/D/events/a/');
  assert.equal(toCanonical('$iot/R/registry'), '$registries/R');
  assert.equal(toCanonical('$iot/R'), undefined);
});

test("the edge's own $monitoring topic is the one a subscriber's filter maps to, and maps back", () => {
  const canonical = '$monitoring/dev1/json';
  const internal = monitoringInternal('are1', 'dev1');
  assert.equal(internal, toInternal('are1', parseCanonical(canonical)!, canonical));
  assert.equal(toCanonical(internal), canonical);
});
