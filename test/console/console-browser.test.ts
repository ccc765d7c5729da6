// The web console in a real browser: Debian's Chromium driven headless by playwright-core against
// `iotcore serve` (never a browser a tool downloads). Logs in, creates a registry and a device
// through the UI, sees the device online when a real MQTT client connects, sees its message in the
// live view within 2 s, sends it a command from the UI, and checks that a viewer token gets no edit
// controls and that the API refuses a forged edit. Takes screenshots of the main pages (into a
// temporary directory; `IOTCORE_SCREENSHOTS=docs/console` refreshes the README's) and prints the bundle size and the time to first render of a 10,000-device list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import mqtt from 'mqtt';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, stopServer } from '../support/serve-process.js';
import { freePort } from '../support/ports.js';
import { REPO_ROOT } from '../support/tools.js';

const CHROMIUM = '/usr/bin/chromium';
/** Without the background-networking flags Chromium's own requests are refused on a closed network. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Into the test's temporary directory unless asked: a test run must not change tracked files.
const screenshots = () =>
  process.env.IOTCORE_SCREENSHOTS ? path.resolve(REPO_ROOT, process.env.IOTCORE_SCREENSHOTS) : path.join(work, 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const DEVICE_PASSWORD = 'Dev1ce-Passw0rd-42';
const FLEET = 10_000;

let work: string;
let server: ChildProcess;
let api: string;
let adminToken: string;
let ca: Buffer;
let mqttPort: number;
let context: BrowserContext;
let page: Page;
const clients: mqtt.MqttClient[] = [];
const cspViolations: string[] = [];
/** The pages' console errors, shown when a step fails. */
const consoleErrors: string[] = [];

/** A request to the REST listener (HTTPS from the server's local CA: node:https, as fetch cannot be given a CA). */
function https(
  method: string,
  route: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(`${api}${route}`, { method, ca, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function rest(
  method: string,
  route: string,
  body?: unknown,
  token = adminToken,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await https(
    method,
    route,
    { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body === undefined ? undefined : JSON.stringify(body),
  );
  return { status: response.status, json: JSON.parse(response.text) as Record<string, unknown> };
}

async function newPage(): Promise<Page> {
  const opened = await context.newPage();
  opened.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await opened.setViewportSize(DESKTOP);
  return opened;
}

async function logIn(target: Page, token: string): Promise<void> {
  await target.goto(`${api}/console/`);
  await target.getByLabel('API token').fill(token);
  await target.getByRole('button', { name: 'Log in' }).click();
  await target.getByRole('navigation', { name: 'Main' }).waitFor();
}

async function shot(target: Page, name: string): Promise<void> {
  await target.screenshot({ path: path.join(screenshots(), `${name}.png`) });
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'iotcore-console-'));
  const [apiPort, restPort, wssPort] = [await freePort(), await freePort(), await freePort()];
  mqttPort = await freePort();
  server = await startServer(path.join(work, 'data'), apiPort, mqttPort, [
    '--rest-listen',
    `127.0.0.1:${restPort}`,
    '--mqtt-wss-listen',
    `127.0.0.1:${wssPort}`,
    // Headless Chromium cancels a TLS handshake that asks for a client certificate it cannot pick.
    '--mqtt-wss-client-certificates',
    'off',
  ]);
  // `localhost`, a name the generated MQTT certificate carries, so the page's WSS URL is one the certificate names.
  api = `https://localhost:${restPort}`;
  adminToken = (await readFile(path.join(work, 'data/admin-token'), 'utf8')).trim();
  ca = await readFile(path.join(work, 'data/tls/ca.pem'));
  await mkdir(screenshots(), { recursive: true });
  // The console's HTTPS and the MQTT WebSocket serve the certificate of the server's local CA, which
  // a fresh profile does not trust: Chromium is told to accept that one server key (by its SPKI
  // hash), nothing more. (Playwright's ignoreHTTPSErrors covers navigations, not a page's WebSocket
  // handshakes.)
  const serverKey = new X509Certificate(await readFile(path.join(work, 'data/tls/server.pem'))).publicKey;
  const spki = createHash('sha256')
    .update(serverKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
  context = await chromium.launchPersistentContext(path.join(work, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--ignore-certificate-errors-spki-list=${spki}`],
    colorScheme: 'light',
  });
  page = await newPage();
  console.log(`# browser: ${context.browser()?.version() ?? (await chromiumVersion(page))}`);
});

after(async () => {
  await Promise.all(clients.map((client) => client.endAsync()));
  await context?.close();
  if (server) await stopServer(server);
  await rm(work, { recursive: true, force: true });
});

async function chromiumVersion(target: Page): Promise<string> {
  return target.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent);
}

let registryId = '';
let deviceId = '';

test('the console is served with a strict Content-Security-Policy and no token in its address', async () => {
  const response = await https('GET', '/console/');
  assert.equal(response.status, 200);
  const csp = String(response.headers['content-security-policy'] ?? '');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /connect-src 'self' wss:\/\/localhost:\d+/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(response.headers['set-cookie'], undefined, 'no cookie: the API is authenticated by the bearer header only');
  const html = response.text;
  assert.doesNotMatch(html, /<script>(?!<\/script>)|<style>|style="/, 'no inline script or style in the page');
});

test('log in, create a registry and a device through the UI; a real MQTT client makes the device online', async () => {
  await logIn(page, adminToken);
  assert.ok(!page.url().includes(adminToken));
  await page.getByRole('link', { name: 'default' }).click();
  await page.getByLabel('New registry name').fill('console-r1');
  await page.getByRole('button', { name: 'Create registry' }).click();
  await page.waitForURL(/#\/registries\/[^/]+$/);
  registryId = decodeURIComponent(page.url().split('/').at(-1)!);
  await page.getByLabel('New device name').fill('console-d1');
  await page.getByLabel('device password (optional)').fill('short');
  await page.getByText('too short').waitFor();
  await page.getByLabel('device password (optional)').fill(DEVICE_PASSWORD);
  await page.getByRole('button', { name: 'Create device' }).click();
  await page.waitForURL(/#\/devices\/[^/]+$/);
  deviceId = decodeURIComponent(page.url().split('/').at(-1)!);
  assert.equal(await page.getByTestId('device-status').textContent(), 'offline');

  const device = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
    username: deviceId,
    password: DEVICE_PASSWORD,
    ca,
    clientId: 'console-test-device',
  });
  clients.push(device);
  await page.getByTestId('device-status').filter({ hasText: 'online' }).waitFor({ timeout: 15_000 });
  await shot(page, 'device');
});

test('a message the device publishes appears in the live view within 2 s; a command sent from the UI reaches the device', async () => {
  const device = clients[0]!;
  await page.getByRole('link', { name: 'Live' }).click();
  await page
    .getByTestId('live-status')
    .filter({ hasText: 'MQTT: subscribed' })
    .waitFor({ timeout: 10_000 })
    .catch(async (error: Error) => {
      throw new Error(
        `${error.message}\nstatus: ${await page.getByTestId('live-status').textContent()}\nconsole: ${consoleErrors.join('\n')}`,
      );
    });
  const published = Date.now();
  await device.publishAsync(`$devices/${deviceId}/events/temperature`, JSON.stringify({ celsius: 21.5 }), { qos: 1 });
  await page.getByTestId('live-messages').getByText(`$devices/${deviceId}/events/temperature`).waitFor({ timeout: 2_000 });
  const latency = Date.now() - published;
  console.log(`# live view: message shown ${latency} ms after the device published it`);
  assert.ok(latency < 2_000);
  assert.match((await page.getByTestId('live-messages').textContent()) ?? '', /"celsius": 21\.5/);

  await device.subscribeAsync(`$devices/${deviceId}/commands/#`, { qos: 1 });
  const command = new Promise<{ topic: string; payload: string }>((resolve) =>
    device.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })),
  );
  await page.getByLabel('Subtopic').fill('reboot');
  await page.getByLabel('Payload', { exact: true }).fill('now, please');
  await page.getByRole('button', { name: 'Send command' }).click();
  const received = await Promise.race([
    command,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no command within 5 s')), 5_000)),
  ]);
  assert.deepEqual(received, { topic: `$devices/${deviceId}/commands/reboot`, payload: 'now, please' });
  await shot(page, 'live-view');
});

test('screenshots of the main pages, at 1280×800 and at phone width', async () => {
  await page.goto(`${api}/console/#/folders/default`);
  await page.getByRole('heading', { name: 'Registries' }).waitFor();
  await shot(page, 'folder');
  await page.goto(`${api}/console/#/registries/${registryId}/devices`);
  await page.getByTestId('device-table').getByText('console-d1').waitFor();
  await page.getByText('online', { exact: true }).first().waitFor();
  await shot(page, 'registry-devices');
  await page.goto(`${api}/console/#/registries/${registryId}/logs`);
  await page.getByRole('cell', { name: 'connected', exact: true }).first().waitFor({ timeout: 5_000 });
  await shot(page, 'registry-logs');
  await page.goto(`${api}/console/#/cluster`);
  await page.getByRole('cell', { name: 'this process' }).waitFor();
  await shot(page, 'cluster');
  await page.setViewportSize(PHONE);
  await page.goto(`${api}/console/#/devices/${deviceId}`);
  await page.getByTestId('device-status').waitFor();
  await shot(page, 'device-phone');
  await page.setViewportSize(DESKTOP);
});

test("a registry's triggers: created through the UI with the signing secret shown once, listed, deleted", async () => {
  await page.goto(`${api}/console/#/registries/${registryId}/triggers`);
  await page.getByRole('heading', { name: 'Add trigger' }).waitFor();
  await page.getByLabel('Trigger name').fill('to-webhook');
  await page.getByLabel('Endpoint URL').fill('https://hooks.example.com/iot');
  await page.getByLabel('Topic filter (optional)').fill('$devices/+/events/#');
  await page.getByLabel('Batch size (1–10)').fill('5');
  await page.getByLabel('Dead letter').selectOption('mqtt');
  await page.getByLabel('Dead-letter topic').fill(`$registries/${registryId}/commands/dead`);
  await page.getByRole('button', { name: 'Add trigger' }).click();
  assert.match((await page.getByTestId('trigger-secret').textContent()) ?? '', /^iots_/);
  await page.getByRole('cell', { name: 'to-webhook' }).waitFor();
  const listed = await rest('GET', '/iotcore-triggers/v1/triggers?folderId=default');
  const trigger = (listed.json.triggers as Array<Record<string, Record<string, string>>>).find(
    (entry) => String(entry.name) === 'to-webhook',
  )!;
  assert.equal(trigger.iotMessage?.registryId, registryId);
  assert.equal(trigger.batchSettings?.size, '5');
  assert.equal(trigger.deadLetter?.mqttTopic, `$registries/${registryId}/commands/dead`);
  await shot(page, 'registry-triggers');
  // A batch size the API refuses: its error is shown, nothing is stored.
  await page.getByLabel('Trigger name').fill('too-big');
  await page.getByLabel('Endpoint URL').fill('https://hooks.example.com/iot');
  await page.getByLabel('Batch size (1–10)').fill('11');
  await page.getByRole('button', { name: 'Add trigger' }).click();
  assert.match((await page.getByRole('alert').textContent()) ?? '', /batch_settings\.size.*must be 1-10/);
  const row = page.getByRole('row', { name: /to-webhook/ });
  await row.getByRole('button', { name: 'Delete…' }).click();
  await row.getByRole('button', { name: 'Yes, delete trigger to-webhook' }).click();
  await page.getByText('No triggers.').waitFor();
  assert.equal(
    ((await rest('GET', '/iotcore-triggers/v1/triggers?folderId=default')).json.triggers as unknown[] | undefined)?.length ?? 0,
    0,
  );
});

test('a viewer token sees no edit controls and the API refuses an edit forged from its page', async () => {
  const created = await rest('POST', '/iotcore-access/v1/tokens', {
    description: 'console viewer',
    grants: [{ folderId: 'default', role: 'iot.viewer' }],
  });
  assert.equal(created.status, 200);
  const viewerToken = String(created.json.secret);
  const viewer = await newPage();
  await logIn(viewer, viewerToken);
  await viewer.goto(`${api}/console/#/devices/${deviceId}`);
  await viewer.getByRole('heading', { name: 'Credentials' }).waitFor();
  for (const name of ['Delete…', 'Add password', 'Upload certificate', 'Add label', 'Add alias', 'Edit description']) {
    assert.equal(await viewer.getByRole('button', { name }).count(), 0, `no "${name}" for a viewer`);
  }
  assert.equal(await viewer.getByRole('link', { name: 'Live' }).count(), 0, 'no live view without iot.registries.writer');
  await viewer.goto(`${api}/console/#/registries/${registryId}/devices`);
  await viewer.getByTestId('device-table').getByText('console-d1').waitFor();
  assert.equal(await viewer.getByRole('button', { name: 'Create device' }).count(), 0);
  await shot(viewer, 'viewer-registry');
  // The same edit the hidden form would make, sent from the viewer's page with its token.
  const forged = await viewer.evaluate(
    async ({ device, token }) => {
      const response = await fetch(`/iot-devices/v1/devices/${device}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ updateMask: 'description', description: 'forged' }),
      });
      return { status: response.status, body: (await response.json()) as { message?: string } };
    },
    { device: deviceId, token: viewerToken },
  );
  assert.equal(forged.status, 403);
  assert.match(forged.body.message ?? '', /permission denied: role iot.editor on folder default required/);
  const live = await rest('POST', `/iotcore-console/v1/registries/${registryId}:issueLiveCredential`, {}, viewerToken);
  assert.equal(live.status, 403, 'a viewer gets no MQTT credential');
  await viewer.close();
});

test(`time to first render of a registry's device list with ${FLEET.toLocaleString('en')} devices, and the bundle size`, async () => {
  const fleet = ((await rest('POST', '/iot-devices/v1/registries', { folderId: 'default', name: 'fleet' })).json.response as { id: string })
    .id;
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < FLEET) {
        const index = next++;
        const answer = await rest('POST', '/iot-devices/v1/devices', { registryId: fleet, name: `d${String(index).padStart(5, '0')}` });
        assert.equal(answer.status, 200);
      }
    }),
  );
  console.log(`# ${FLEET} devices created over REST in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await page.goto(`${api}/console/#/`);
  await page.getByRole('heading', { name: 'Folders' }).waitFor();
  // From the navigation to the first page of 50 rows in the DOM, measured by the page's own clock.
  const ms = await page.evaluate(
    (registry) =>
      new Promise<number>((resolve) => {
        const started = performance.now();
        const done = () => {
          if (document.querySelectorAll('[data-testid="device-table"] tbody tr').length >= 50) {
            observer.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - started));
          }
        };
        const observer = new MutationObserver(done);
        observer.observe(document.body, { childList: true, subtree: true });
        location.hash = `#/registries/${registry}/devices`;
      }),
    fleet,
  );
  console.log(`# first render of the device list (${FLEET} devices, page of 50): ${ms.toFixed(0)} ms`);
  assert.ok(ms < 5_000);
  // Pages follow the API's order (by ID): the second shows 50 other devices.
  const firstPage = await page.getByTestId('device-table').locator('tbody tr td:first-child').allTextContents();
  await page.getByRole('button', { name: 'Next →' }).click();
  await page.getByText('Page 2').waitFor();
  await page.waitForFunction((first) => {
    const names = [...document.querySelectorAll('[data-testid="device-table"] tbody tr td:first-child')].map((cell) => cell.textContent);
    return names.length === 50 && !names.includes(first);
  }, firstPage[0] ?? '');

  const assets = path.join(REPO_ROOT, 'dist/console/assets');
  const sizes = await Promise.all(
    (await readdir(assets)).map(async (name) => {
      const bytes = await readFile(path.join(assets, name));
      return { name, bytes: bytes.length, gzip: gzipSync(bytes).length };
    }),
  );
  for (const size of sizes) console.log(`# bundle: ${size.name} ${size.bytes} bytes, ${size.gzip} gzipped`);
  const initial = sizes.filter((size) => !size.name.startsWith('mqtt')).reduce((sum, size) => sum + size.gzip, 0);
  console.log(`# bundle loaded at start: ${initial} bytes gzipped (mqtt.js is loaded with the live view)`);
  assert.ok(initial < 60_000, 'the console loads under 60 kB gzipped');
  assert.deepEqual(cspViolations, [], 'nothing was blocked by the Content-Security-Policy');
});
