// What endpoint discovery hands out: the advertised address, else the bound one with a wildcard
// host replaced by the host the client dialled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_ENDPOINT_IDS, discoveryAddress } from '../../../services/registry/api/endpoint-service.js';

test('--api-advertise wins', () => {
  assert.equal(discoveryAddress({ advertise: 'iot.example.com:443', bound: '0.0.0.0:50051', authority: 'x:1' }), 'iot.example.com:443');
});

test('a concrete bound address is handed out as it is', () => {
  assert.equal(discoveryAddress({ bound: '127.0.0.1:50051', authority: 'localhost:50051' }), '127.0.0.1:50051');
});

test('a wildcard host becomes the host the client dialled, on the bound port', () => {
  assert.equal(discoveryAddress({ bound: '0.0.0.0:50051', authority: 'iot.lan:6000' }), 'iot.lan:50051');
  assert.equal(discoveryAddress({ bound: ':::50051', authority: '[::1]:50051' }), '[::1]:50051');
  assert.equal(discoveryAddress({ bound: '0.0.0.0:50051', authority: 'iot.lan' }), 'iot.lan:50051');
  assert.equal(discoveryAddress({ bound: '0.0.0.0:50051', authority: '' }), '127.0.0.1:50051');
});

test('the service ids both SDKs ask for IoT Core are answered', () => {
  for (const id of ['iot-devices', 'iot-data', 'iot-broker', 'operation', 'iam', 'endpoint'])
    assert.ok((API_ENDPOINT_IDS as readonly string[]).includes(id));
});
