// Overload must never kill a node (field finding: plain aedes 1.2 dies with "Maximum call stack
// size exceeded" in mqemitter after a QoS 0 flood to a slow subscriber followed by QoS 1 traffic).
// The same pattern against an iotcore edge in a child process: it must survive and keep serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/overload-broker.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a QoS 0 flood to a stuck subscriber, then QoS 1 traffic, does not kill the edge', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAX_QUEUED: '20000' } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const info = await new Promise<{ port: number; registry: string; device: string; registryPassword: string; devicePassword: string }>(
    (resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString())));
      child.once('exit', () => reject(new Error(`fixture exited: ${stderr}`)));
    },
  );
  try {
    const topic = `$devices/${info.device}/events`;
    const connect = (username: string, password: string) =>
      mqtt.connectAsync({ host: '127.0.0.1', port: info.port, username, password, reconnectPeriod: 0, protocolVersion: 4 });

    // A subscriber that never reads: its socket fills up and deliveries to it stall.
    const stuck = net.connect(info.port, '127.0.0.1');
    stuck.on('error', () => undefined);
    stuck.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: 'stuck',
        keepalive: 0,
        username: info.registry,
        password: Buffer.from(info.registryPassword),
      }),
    );
    stuck.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] }));
    await sleep(300);
    stuck.pause();

    const flood = async (qos: 0 | 1, ms: number, inFlight: number) => {
      const publishers: MqttClient[] = await Promise.all([1, 2, 3, 4].map(() => connect(info.device, info.devicePassword)));
      const payload = Buffer.alloc(64, 7);
      const deadline = Date.now() + ms;
      let sent = 0;
      await Promise.all(
        publishers.map(async (client) => {
          const lanes = Array.from({ length: inFlight }, async () => {
            while (Date.now() < deadline && client.connected) {
              // A publish to a broker that died never settles: bound each wait.
              await Promise.race([client.publishAsync(topic, payload, { qos }).catch(() => undefined), sleep(1000)]);
              sent++;
            }
          });
          await Promise.all(lanes);
        }),
      );
      await Promise.all(publishers.map((client) => client.endAsync(true).catch(() => undefined)));
      return sent;
    };

    const qos0 = await flood(0, 4000, 64);
    stuck.destroy();
    const qos1 = await flood(1, 3000, 32);
    assert.ok(qos0 > 1000 && qos1 > 100, `the flood ran (QoS 0: ${qos0}, QoS 1: ${qos1})`);
    await sleep(1500);
    assert.equal(child.exitCode, null, `the edge died:\n${stderr}`);

    // Still serving: a fresh publish/subscribe round trip.
    const registry = await connect(info.registry, info.registryPassword);
    await registry.subscribeAsync(topic, { qos: 1 });
    const received = new Promise<string>((resolve) => registry.once('message', (_topic, payload) => resolve(payload.toString())));
    const device = await connect(info.device, info.devicePassword);
    await device.publishAsync(topic, 'after the storm', { qos: 1 });
    assert.equal(await Promise.race([received, sleep(10_000).then(() => 'timeout')]), 'after the storm');
    await Promise.all([registry.endAsync(), device.endAsync()]);
    console.log(`overload: ${qos0} QoS 0 + ${qos1} QoS 1 publishes survived; last fixture report: ${stderr.trim().split('\n').pop()}`);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
});
