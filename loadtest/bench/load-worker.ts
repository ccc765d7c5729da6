// One load-generator thread: holds a share of the MQTT clients of a scenario and drives them as the
// main thread says (connect, publish, measure, disconnect). Threads share progress through
// `SharedCounters`, so a window of unanswered messages can be kept across all of them.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import * as hdr from 'hdr-histogram-js';
import { SharedCounters, type ClientSpec, type WorkerCommand, type WorkerReply, type WorkerSetup } from './load-protocol.js';

const setup = workerData as WorkerSetup;
const counters = new SharedCounters(setup.counters);
const clients: Array<{ spec: ClientSpec; client: MqttClient }> = [];
/** End-to-end latency in microseconds, from the timestamp each payload carries. */
let latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
const connectTimes = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
let recording = true;

const now = () => performance.timeOrigin + performance.now();

function reply(message: WorkerReply & { id: number }): void {
  parentPort!.postMessage(message);
}

function onMessage(_topic: string, payload: Buffer): void {
  counters.received();
  if (!recording || payload.length < 8) return;
  const micros = Math.round((now() - payload.readDoubleBE(0)) * 1000);
  latency.recordValue(Math.max(1, micros));
}

function connectOne(spec: ClientSpec): Promise<void> {
  const started = now();
  return new Promise((resolve) => {
    const client = mqtt.connect(setup.url, {
      clientId: spec.clientId,
      username: spec.username,
      password: spec.password,
      ca: setup.ca,
      servername: 'localhost',
      clean: true,
      keepalive: setup.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: 60_000,
      protocolVersion: 4,
    });
    const fail = () => {
      counters.error();
      client.end(true);
      resolve();
    };
    client.once('error', fail);
    client.once('connect', () => {
      client.removeListener('error', fail);
      client.on('error', () => counters.error());
      connectTimes.recordValue(Math.max(1, Math.round((now() - started) * 1000)));
      client.on('message', onMessage);
      const done = () => {
        clients.push({ spec, client });
        resolve();
      };
      if (!spec.subscribe?.length) return done();
      client.subscribe(spec.subscribe, { qos: setup.subscribeQos }, (error, granted) => {
        if (error || granted?.some((grant) => grant.qos === 128)) counters.error();
        done();
      });
    });
  });
}

async function connectAll(specs: ClientSpec[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, specs.length) }, async () => {
      while (next < specs.length) await connectOne(specs[next++]!);
    }),
  );
}

function payload(bytes: number): Buffer {
  const buffer = Buffer.alloc(Math.max(8, bytes));
  buffer.writeDoubleBE(now(), 0);
  return buffer;
}

/**
 * Keeps at most `window` deliveries unanswered across all threads (closed loop: the figure is
 * what the broker sustains), or publishes at a fixed `rate` (open loop: latency at a given load).
 */
function publish(command: Extract<WorkerCommand, { op: 'publish' }>): Promise<number> {
  const publishers = clients.filter(({ spec }) => spec.publishTo?.length);
  const slots = publishers.flatMap((entry) => Array.from({ length: command.slotsPerClient }, () => entry));
  const idle = [...slots];
  let sent = 0;
  let running = true;
  let scheduled = false;
  let turn = 0;
  const topicOf = (spec: ClientSpec) => spec.publishTo![turn++ % spec.publishTo!.length]!;
  const started = now();

  return new Promise((resolve) => {
    const sendOne = (entry: (typeof slots)[number], reuseSlot: boolean) => {
      sent++;
      counters.sent(command.fanout);
      entry.client.publish(topicOf(entry.spec), payload(command.payloadBytes), { qos: command.qos }, (error) => {
        if (error) counters.error();
        if (reuseSlot) {
          idle.push(entry);
          schedule();
        }
      });
    };
    const pumpWindow = () => {
      scheduled = false;
      if (!running) return;
      while (idle.length > 0 && counters.outstanding() < command.window) sendOne(idle.pop()!, true);
      if (idle.length > 0) setTimeout(schedule, 1);
    };
    const pumpPaced = () => {
      if (!running) return;
      const due = Math.floor(((now() - started) / 1000) * command.rate) - sent;
      for (let i = 0; i < due; i++) sendOne(slots[sent % slots.length]!, false);
      setTimeout(pumpPaced, 2);
    };
    function schedule() {
      if (scheduled || !running) return;
      scheduled = true;
      setImmediate(pumpWindow);
    }
    if (command.rate > 0) pumpPaced();
    else schedule();
    setTimeout(() => {
      running = false;
      resolve(sent);
    }, command.durationMs);
  });
}

async function disconnectAll(): Promise<void> {
  await Promise.all(clients.map(({ client }) => client.endAsync().catch(() => undefined)));
  clients.length = 0;
}

parentPort!.on('message', (command: WorkerCommand & { id: number }) => {
  const run = async (): Promise<WorkerReply> => {
    switch (command.op) {
      case 'connect':
        connectTimes.reset();
        await connectAll(command.clients, command.concurrency);
        return { op: 'connected', connected: clients.length, connectTimes: hdr.encodeIntoCompressedBase64(connectTimes) };
      case 'publish':
        return { op: 'published', sent: await publish(command) };
      case 'measure':
        recording = command.recording;
        if (command.reset)
          latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
        return { op: 'measured', latency: hdr.encodeIntoCompressedBase64(latency) };
      case 'disconnect':
        await disconnectAll();
        return { op: 'disconnected' };
    }
  };
  run().then(
    (answer) => reply({ ...answer, id: command.id }),
    (error: Error) => reply({ op: 'failed', message: error.message, id: command.id }),
  );
});
