// mqtt-packet's debug calls are quieted for the whole `iotcore` process, and DEBUG still turns them on.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { CLI } from '../support/serve-process.js';

const run = promisify(execFile);
const QUIET = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../services/edge/aedes/quiet-packet-debug.js'),
).href;

/** Runs `script` (an ES module) in a fresh Node with `env`, returning what it wrote. */
async function node(script: string, env: Record<string, string> = {}) {
  return run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, DEBUG: '', ...env } });
}

/** Imports the quieting module, then parses a PUBLISH with mqtt-packet. */
const parseAfterQuieting = `
  import { createRequire } from 'node:module';
  await import(${JSON.stringify(QUIET)});
  const packets = createRequire(${JSON.stringify(CLI)})('mqtt-packet');
  const parser = packets.parser({ protocolVersion: 4 });
  let parsed;
  parser.on('packet', (packet) => (parsed = packet));
  parser.parse(packets.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('hi'), qos: 1, messageId: 7 }));
  console.log(JSON.stringify({ topic: parsed.topic, messageId: parsed.messageId }));
`;

test('with DEBUG unset, packets parse as before and mqtt-packet writes no debug lines', async () => {
  const { stdout, stderr } = await node(parseAfterQuieting);
  assert.deepEqual(JSON.parse(stdout), { topic: 'a/b', messageId: 7 });
  assert.equal(stderr, '');
});

test('DEBUG=mqtt-packet:* still turns mqtt-packet debug logging on', async () => {
  const { stdout, stderr } = await node(parseAfterQuieting, { DEBUG: 'mqtt-packet:*', DEBUG_COLORS: 'no' });
  assert.equal(JSON.parse(stdout).topic, 'a/b');
  assert.match(stderr, /mqtt-packet:parser/);
});

test('the iotcore command quiets them before anything loads mqtt-packet', async () => {
  // A spy on debug, installed before the CLI starts: every namespace asked of the real debug
  // module. Quieted namespaces never reach it; mqtt-packet loaded before the quieting would.
  const spy = `
    import { createRequire } from 'node:module';
    const require = createRequire(${JSON.stringify(CLI)});
    const path = require.resolve('debug', { paths: [require('node:path').dirname(require.resolve('mqtt-packet'))] });
    const asked = [];
    const createDebug = require(path);
    require.cache[path].exports = new Proxy(createDebug, { apply: (target, self, [namespace]) => (asked.push(namespace), target(namespace)) });
    process.on('exit', () => {
      const loaded = Object.keys(require.cache).some((file) => file.endsWith('mqtt-packet/parser.js'));
      process.stderr.write('SPY ' + JSON.stringify({ loaded, asked: asked.filter((n) => n.startsWith('mqtt-packet')) }) + '\\n');
    });
  `;
  const { stderr } = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(spy)}`, CLI, '--help'], {
    env: { ...process.env, DEBUG: '' },
  });
  const report = JSON.parse(/^SPY (.*)$/m.exec(stderr)![1]!);
  assert.deepEqual(report, { loaded: true, asked: [] });
});
