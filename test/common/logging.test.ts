// The process log writer: lines are written in batches, a short one within the flush interval,
// what is waiting is written at exit, and when stdout is not read the writer holds a bounded
// amount and drops (and counts) the rest: every line is either written or counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { logWriter } from '../../services/common/logging.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/log-writer-child.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function logInChild(env: Record<string, string>) {
  const spawned = spawn(process.execPath, [CHILD], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MAX_BUFFERED_BYTES: '65536', ...env },
  });
  let stdout = '';
  let stderr = '';
  spawned.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  spawned.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { process: spawned, stdout: () => stdout, stderr: () => stderr };
}

test('a short batch is written within the flush interval, a full one at once', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-log-writer-'));
  const file = await open(path.join(dir, 'out.log'), 'w');
  const read = () => readFileSync(path.join(dir, 'out.log'), 'utf8');
  try {
    const logger = pino({ base: undefined }, logWriter({ fd: file.fd, batchBytes: 4096, flushMs: 1000, maxBufferedBytes: 1 << 20 }));
    logger.info('first');
    logger.info('second');
    await sleep(50);
    assert.equal(read(), '', 'a short batch waits');
    await sleep(1200);
    assert.deepEqual(
      read()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).msg),
      ['first', 'second'],
      'and is written within the flush interval',
    );

    for (let i = 0; i < 60; i++) logger.info({ filler: 'y'.repeat(60) }, `batch ${i}`);
    await sleep(50);
    assert.match(read(), /"msg":"batch 0"/, 'a full batch does not wait for the interval');
    // The rest follows within the interval (and the writer is done with the file before it is closed).
    await sleep(1200);
    assert.equal(read().trim().split('\n').length, 62);
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a line logged just before process.exit is written', async () => {
  const logging = logInChild({});
  const [code] = (await once(logging.process, 'close')) as [number | null];
  assert.equal(code, 3, logging.stderr());
  assert.match(logging.stdout(), /"msg":"last words"/);
});

test('an unread stdout: what waits is bounded, and every line is written or counted as dropped', { timeout: 60_000 }, async () => {
  const lines = 20_000; // about 2.6 MB of lines against a 64 KiB bound and a 64 KiB pipe
  const logging = logInChild({ STALL: '1', LINES: String(lines) });
  logging.process.stdout.pause();
  const report = new Promise<{ dropped: number }>((resolve, reject) => {
    logging.process.stderr.on('data', () => {
      if (logging.stderr().includes('\n')) resolve(JSON.parse(logging.stderr().split('\n')[0]!));
    });
    logging.process.once('exit', (code) => reject(new Error(`child exited (${code}) before reporting: ${logging.stderr()}`)));
  });
  const { dropped } = await report;
  // Only now is stdout read: what the child held is written before it exits.
  logging.process.stdout.resume();
  const [code] = (await once(logging.process, 'close')) as [number | null];
  assert.equal(code, 0, logging.stderr());
  const written = logging
    .stdout()
    .split('\n')
    .filter((line) => line !== '');
  assert.ok(dropped > lines / 2, `most lines were dropped while stdout was stalled (dropped ${dropped})`);
  assert.ok(written.length > 0, 'what was held within the bound is written once stdout is read');
  assert.equal(written.length + dropped, lines, 'every line is either written or counted');
  assert.ok(
    written.every((line) => JSON.parse(line).msg === 'line'),
    'no line is cut',
  );
});
