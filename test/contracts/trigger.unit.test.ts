// The pure trigger rules: filters, matching, the Yandex request body, signature, retry policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterMatches } from '../../services/contracts/topic-filter.js';
import { createHmac } from 'node:crypto';
import {
  brokerFilterError,
  brokerTriggerTakes,
  classifyResponse,
  deadLetterTopicError,
  endpointUrlError,
  messageDeviceId,
  registryFilterError,
  registryTriggerTakes,
  resolveAlias,
  retryDelayMs,
  signBody,
  triggerRequestBody,
} from '../../services/contracts/trigger.js';

const R = 'areregistry000000000';

test('registry filters: $devices/… and this registry only, never $monitoring, valid MQTT syntax', () => {
  for (const ok of ['$devices/+/events', '$devices/d1/state/#', `$registries/${R}/commands`, '$registries/+/events', '$devices/#'])
    assert.equal(registryFilterError(ok, R), undefined, ok);
  const cases: Array<[string, RegExp]> = [
    ['$monitoring/d1/json', /\$monitoring/],
    ['$monitoring/#', /\$monitoring/],
    ['$devices/a#', /"#" must be the last level/],
    ['$devices/#/events', /"#" must be the last level/],
    ['$devices/d+/events', /"\+" must occupy a whole level/],
    ['plain/topic', /must be a \$devices/],
    ['$registries/areother0000000000000/events', /not the trigger's registry/],
    ['$devices', /names no device/],
  ];
  for (const [filter, message] of cases) assert.match(registryFilterError(filter, R) ?? '', message, filter);
  assert.equal(brokerFilterError('plant/+/temp'), undefined);
  assert.match(brokerFilterError('$devices/#') ?? '', /do not start with "\$"/);
});

test('matching: wildcards, a device restriction, never $monitoring; broker topics', () => {
  const rule = (filter: string, device_id = '') => ({ id: 't', device_id, filter });
  assert.ok(registryTriggerTakes(rule(''), '$devices/d1/events'));
  assert.ok(!registryTriggerTakes(rule(''), '$monitoring/d1/json'));
  assert.ok(registryTriggerTakes(rule('$devices/+/events/#'), '$devices/d1/events'), '# matches its parent level');
  assert.ok(registryTriggerTakes(rule('$devices/+/events/#'), '$devices/d1/events/a/b'));
  assert.ok(!registryTriggerTakes(rule('$devices/+/events'), '$devices/d1/events/a'));
  assert.ok(!registryTriggerTakes(rule('$devices/+/events'), '$devices/d1/state'));
  assert.ok(registryTriggerTakes(rule('', 'd1'), '$devices/d1/state'));
  assert.ok(!registryTriggerTakes(rule('', 'd1'), '$devices/d2/events'));
  assert.ok(!registryTriggerTakes(rule('', 'd1'), `$registries/${R}/events`));
  assert.ok(brokerTriggerTakes(rule('plant/+/t'), 'plant/1/t'));
  assert.ok(!brokerTriggerTakes(rule('plant/+/t'), 'plant/1/t/x'));
  assert.ok(filterMatches('a/+', 'a/'), 'an empty level is a level');
  assert.equal(messageDeviceId('d9', '$devices/d1/commands'), 'd9', 'the sender first');
  assert.equal(messageDeviceId(undefined, '$devices/d1/commands'), 'd1');
  assert.equal(messageDeviceId(undefined, `$registries/${R}/events`), '');
});

test('aliases: the longest alias the topic starts with, replaced by its prefix', () => {
  const aliases = [
    { alias: 'boiler', topic_prefix: '$devices/d1/events' },
    { alias: 'boiler/room', topic_prefix: '$devices/d2/events' },
  ];
  assert.equal(resolveAlias('boiler/t', aliases), '$devices/d1/events/t');
  assert.equal(resolveAlias('boiler/room/#', aliases), '$devices/d2/events/#');
  assert.equal(resolveAlias('other', aliases), undefined);
});

test('endpoints: http(s) only, no credentials in the URL', () => {
  assert.equal(endpointUrlError('https://backend.example/iot?x=1'), undefined);
  assert.equal(endpointUrlError('http://127.0.0.1:8080/'), undefined);
  assert.match(endpointUrlError('ftp://backend.example/') ?? '', /must be http:\/\/ or https:\/\/, not ftp:/);
  assert.match(endpointUrlError('backend.example') ?? '', /is not a URL/);
  assert.match(endpointUrlError('https://user:pw@backend.example/') ?? '', /credentials/);
});

test('dead-letter topics: one the source publishes, not a filter, not taken by the trigger', () => {
  const registry = { kind: 'registry' as const, id: R };
  const events = { id: 't', device_id: '', filter: '$devices/+/events' };
  assert.equal(deadLetterTopicError(`$registries/${R}/commands/dead`, registry, events), undefined);
  assert.match(deadLetterTopicError(`$registries/${R}/commands/+`, registry, events) ?? '', /not a filter/);
  assert.match(deadLetterTopicError('$devices/d1/commands', registry, events) ?? '', /must be \$registries/);
  assert.match(
    deadLetterTopicError(`$registries/${R}/commands/dead`, registry, { ...events, filter: `$registries/${R}/#` }) ?? '',
    /takes itself/,
  );
  const broker = { kind: 'broker' as const, id: 'b' };
  assert.equal(deadLetterTopicError('dead/letters', broker, { id: 't', device_id: '', filter: 'plant/#' }), undefined);
  assert.match(deadLetterTopicError('plant/dead', broker, { id: 't', device_id: '', filter: 'plant/#' }) ?? '', /takes itself/);
});

test('the request body is the JSON a Yandex function received; the signature is the HMAC of its bytes', () => {
  const message = {
    event_id: '2153b5d2-c6af-4c69-a28d-74ce965a0000',
    created_at: '2026-12-04T10:00:00.000Z',
    mqtt_topic: '$devices/d1/events',
    device_id: 'd1',
    payload: Buffer.from('hello').toString('base64'),
  };
  const body = triggerRequestBody({ folder_id: 'f1', source: { kind: 'registry', id: R } }, [message]);
  assert.deepEqual(JSON.parse(body), {
    messages: [
      {
        event_metadata: {
          event_id: message.event_id,
          event_type: 'yandex.cloud.events.iot.IoTMessage',
          created_at: message.created_at,
          folder_id: 'f1',
        },
        details: { registry_id: R, device_id: 'd1', mqtt_topic: '$devices/d1/events', payload: 'aGVsbG8=' },
      },
    ],
  });
  const brokerBody = JSON.parse(
    triggerRequestBody({ folder_id: 'f1', source: { kind: 'broker', id: 'b1' } }, [{ ...message, mqtt_topic: 'a/b' }]),
  );
  assert.equal(brokerBody.messages[0].event_metadata.event_type, 'yandex.cloud.events.iot.IoTMessage', 'as Yandex sent it for brokers too');
  assert.deepEqual(brokerBody.messages[0].details, { broker_id: 'b1', mqtt_topic: 'a/b', payload: 'aGVsbG8=' });
  assert.equal(signBody('iots_k', body), `sha256=${createHmac('sha256', 'iots_k').update(body).digest('hex')}`);
  assert.notEqual(signBody('iots_k', body), signBody('iots_other', body));
});

test('retry policy: 2xx delivered, 429/5xx/no answer retried, other 4xx permanent; doubling pauses, capped', () => {
  assert.equal(classifyResponse(200), 'delivered');
  assert.equal(classifyResponse(204), 'delivered');
  assert.equal(classifyResponse(undefined), 'retry');
  assert.equal(classifyResponse(429), 'retry');
  assert.equal(classifyResponse(503), 'retry');
  assert.equal(classifyResponse(400), 'permanent');
  assert.equal(classifyResponse(404), 'permanent');
  assert.equal(classifyResponse(301), 'permanent', 'redirects are not followed');
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => retryDelayMs(1_000, n)),
    [1_000, 2_000, 4_000, 8_000],
  );
  assert.equal(retryDelayMs(60_000, 10), 300_000);
});
