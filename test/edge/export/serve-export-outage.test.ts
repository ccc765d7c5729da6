// Kafka away for 10 s under load, end to end: a device publishes 5,000 QoS 1 events through
// `iotcore serve --kafka-brokers …` while Kafka is killed and restarted; every event reaches the
// topic afterwards, and the MQTT publish rate while Kafka was away is reported next to the rate
// before (asserted only loosely: this machine's two cores are shared); /readyz says `kafka_export`
// is failing meanwhile and stays 200.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { freePort } from '../../support/ports.js';
import { CLI, startServer, stopServer } from '../../support/serve-process.js';
import { createTopic, readRecords } from '../../support/kafka-records.js';
import { startKafka } from '../../support/servers.js';

const run = promisify(execFile);
const DEVICE_PASSWORD = 'Device-Passw0rd-1!';
const TOTAL = 5_000;
const OUTAGE_MS = 10_000;

test('Kafka killed for 10 s while a device publishes 5,000 events: none lost, MQTT keeps its pace', async (t) => {
  const kafka = await startKafka();
  t.after(() => kafka.stop());
  await createTopic(kafka.bootstrap, 'telemetry');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-export-outage-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mqttPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  const server = await startServer(dataDir, port, mqttPort, [
    ...['--kafka-brokers', kafka.bootstrap, '--drain-seconds', '0', '--device-publish-rate', '0'],
    ...['--http-listen', `127.0.0.1:${opsPort}`],
  ]);
  t.after(() => stopServer(server));
  const env = { ...process.env, IOTCORE_ENDPOINT: `127.0.0.1:${port}`, IOTCORE_DATA_DIR: dataDir };
  const cli = async (...args: string[]) => JSON.parse((await run(process.execPath, [CLI, ...args, '--format', 'json'], { env })).stdout);
  await cli('registry', 'create', '--name', 'fleet');
  const device = await cli('device', 'create', '--registry-name', 'fleet', '--name', 'd', '--password', DEVICE_PASSWORD);
  await cli('registry', 'yds-export', 'add', '--registry-name', 'fleet', '--database', 'db', '--stream', 'telemetry');

  const client = await mqtt.connectAsync(`mqtts://localhost:${mqttPort}`, {
    ca: await readFile(path.join(dataDir, 'tls', 'ca.pem')),
    username: device.id,
    password: DEVICE_PASSWORD,
    clientId: 'd',
    reconnectPeriod: 0,
  });
  t.after(() => client.endAsync());
  const topic = `$devices/${device.id}/events`;
  /** Publishes [from, to) 50 at a time; returns the seconds it took (until the last PUBACK). */
  const publishRange = async (from: number, to: number) => {
    const started = performance.now();
    for (let n = from; n < to; n += 50)
      await Promise.all(Array.from({ length: Math.min(50, to - n) }, (_, i) => client.publishAsync(topic, String(n + i), { qos: 1 })));
    return (performance.now() - started) / 1000;
  };
  const readiness = async () => {
    const response = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    return { code: response.status, ...((await response.json()) as { status: string; checks: Record<string, boolean> }) };
  };
  const before = 1_500 / (await publishRange(0, 1_500));
  assert.equal((await readiness()).checks.kafka_export, true);
  kafka.kill('SIGKILL');
  // 2,000 events spread over the outage, 200 a second; the rate counts the publishing time only.
  let outageSeconds = 0;
  const readinessDuringOutage: Array<Awaited<ReturnType<typeof readiness>>> = [];
  for (let n = 1_500; n < 3_500; n += 200) {
    outageSeconds += await publishRange(n, n + 200);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 10));
    readinessDuringOutage.push(await readiness());
  }
  assert.ok(
    readinessDuringOutage.some(({ code, status, checks }) => code === 200 && status === 'degraded' && !checks.kafka_export),
    `/readyz degraded, not unready, while Kafka was away: ${JSON.stringify(readinessDuringOutage.at(-1))}`,
  );
  const during = 2_000 / outageSeconds;
  await kafka.restart();
  const afterwards = (TOTAL - 3_500) / (await publishRange(3_500, TOTAL));
  t.diagnostic(
    `MQTT QoS 1 publishes/s: ${before.toFixed(0)} before, ${during.toFixed(0)} while Kafka was away, ${afterwards.toFixed(0)} after`,
  );

  const records = await readRecords(kafka.bootstrap, 'telemetry', TOTAL, 60_000);
  const seen = new Set(records.map((record) => (JSON.parse(record.value) as { payload: string }).payload));
  assert.equal(seen.size, TOTAL, 'every event exported, none twice');
  assert.equal((await readiness()).checks.kafka_export, true, 'ready again once Kafka acknowledges');
  assert.ok(during > before * 0.5, `publishing went on while Kafka was away (${during.toFixed(0)}/s vs ${before.toFixed(0)}/s)`);
});
