// google.api.http path templates as Yandex's protos write them: literals, {field} variables and a
// custom verb split off the last segment before matching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchTemplate, parseTemplate, splitRequestPath } from '../../../services/registry/rest/path-template.js';

const match = (template: string, path: string) => matchTemplate(parseTemplate(template), splitRequestPath(path)!);

test('parses literals, variables and the custom verb', () => {
  assert.deepEqual(parseTemplate('/iot-devices/v1/registries/{registry_id}:disable'), {
    verb: 'disable',
    segments: [{ literal: 'iot-devices' }, { literal: 'v1' }, { literal: 'registries' }, { variable: 'registry_id' }],
  });
  assert.deepEqual(parseTemplate('/iot-devices/v1/registries:getByName'), {
    verb: 'getByName',
    segments: [{ literal: 'iot-devices' }, { literal: 'v1' }, { literal: 'registries' }],
  });
  assert.equal(parseTemplate('/operations/{operation_id}').verb, undefined);
});

test('refuses template syntax the gateway does not implement', () => {
  for (const template of ['/v1/{name=projects/*}', '/v1/**', '/v1/{a.b}', 'v1/x', '/v1/a b']) {
    assert.throws(() => parseTemplate(template), /not supported|does not start/, template);
  }
});

test('matches a path and binds its variables, percent-decoded', () => {
  const cases: Array<[string, string, Record<string, string> | undefined]> = [
    ['/iot-devices/v1/registries/{registry_id}', '/iot-devices/v1/registries/are1', { registry_id: 'are1' }],
    ['/iot-devices/v1/registries/{registry_id}', '/iot-devices/v1/registries/a%20b', { registry_id: 'a b' }],
    [
      '/iot-devices/v1/registries/{registry_id}/passwords/{password_id}',
      '/iot-devices/v1/registries/r/passwords/p',
      { registry_id: 'r', password_id: 'p' },
    ],
    ['/iot-devices/v1/registries/{registry_id}:disable', '/iot-devices/v1/registries/are1:disable', { registry_id: 'are1' }],
    ['/iot-devices/v1/registries:getByName', '/iot-devices/v1/registries:getByName', {}],
    ['/iot-devices/v1/registries', '/iot-devices/v1/registries', {}],
    // no match: other verb, no verb, verb where none is declared, other literal, other length, empty variable
    ['/iot-devices/v1/registries/{registry_id}:disable', '/iot-devices/v1/registries/are1:enable', undefined],
    ['/iot-devices/v1/registries/{registry_id}:disable', '/iot-devices/v1/registries/are1', undefined],
    ['/operations/{operation_id}', '/operations/op1:cancel', undefined],
    ['/iot-devices/v1/registries', '/iot-devices/v1/devices', undefined],
    ['/iot-devices/v1/registries/{registry_id}', '/iot-devices/v1/registries/r/x', undefined],
    ['/iot-devices/v1/registries/{registry_id}', '/iot-devices/v1/registries/', undefined],
  ];
  for (const [template, path, expected] of cases) assert.deepEqual(match(template, path), expected, `${template} ← ${path}`);
});

test('a percent-encoded colon belongs to the variable, not to a verb', () => {
  assert.deepEqual(match('/operations/{operation_id}', '/operations/op1%3Acancel'), { operation_id: 'op1:cancel' });
});

test('a path that does not percent-decode matches nothing', () => {
  assert.equal(splitRequestPath('/iot-devices/v1/registries/%E0%A4%A'), undefined);
  assert.equal(splitRequestPath('no-slash'), undefined);
});
