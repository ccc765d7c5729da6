import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectSources, consoleAssets, contentSecurityPolicy } from '../../../services/registry/rest/console-assets.js';

test('the CSP allows only the page itself and the MQTT WebSocket, no inline code, no framing', () => {
  const csp = contentSecurityPolicy(['wss://iot.example.com:8884']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self';/);
  assert.match(csp, /connect-src 'self' wss:\/\/iot\.example\.com:8884;/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe/);
});

test("the WebSocket origin: the configured URL's, else the local port on the page's host; a Host header cannot add directives", () => {
  assert.deepEqual(connectSources({ url: 'wss://mqtt.example.com:443/mqtt' }, 'console.example.com'), ['wss://mqtt.example.com']);
  assert.deepEqual(connectSources({ port: 8884 }, 'localhost:8443'), ['wss://localhost:8884']);
  assert.deepEqual(connectSources({ port: 8884 }, '[::1]:8443'), ['wss://[::1]:8884']);
  assert.deepEqual(connectSources({ port: 8884 }, "evil; script-src 'unsafe-inline'"), []);
  assert.deepEqual(connectSources({}, 'localhost'), []);
});

test('only files of the build are served, with the security headers; other paths are not the console', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'console-assets-'));
  try {
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html>');
    await writeFile(path.join(dir, 'assets', 'index-abc.js'), 'export {}');
    const assets = consoleAssets(dir, { port: 8884 });
    const index = assets.serve('GET', '/console/', 'localhost:8443');
    assert.equal(index?.status, 200);
    assert.equal(index?.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index?.headers['cache-control'], 'no-cache');
    assert.equal(index?.headers['x-frame-options'], 'DENY');
    assert.match(index?.headers['content-security-policy'] ?? '', /wss:\/\/localhost:8884/);
    assert.equal(
      assets.serve('GET', '/console/assets/index-abc.js', 'localhost')?.headers['cache-control'],
      'public, max-age=31536000, immutable',
    );
    assert.equal(assets.serve('GET', '/console', 'localhost')?.status, 308);
    assert.equal(assets.serve('GET', '/console/../package.json', 'localhost')?.status, 404);
    assert.equal(assets.serve('GET', '/console/assets/%2e%2e/index.html', 'localhost')?.status, 404);
    assert.equal(assets.serve('POST', '/console/', 'localhost')?.status, 405);
    assert.equal(assets.serve('GET', '/consoles', 'localhost'), undefined);
    assert.equal(assets.serve('GET', '/iot-devices/v1/registries', 'localhost'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
