// What the store benchmarks (retained.ts, wills.ts) share: a LevelDB of their own, removed after;
// a FerretDB of the backend asked for, stopped after; timing one operation; a row of their tables.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MongoClient } from 'mongodb';
import { startFerretDb, type FerretDbBackend, type FerretDbHandle } from '../../test/support/servers.js';

export async function onLevelDb<T>(use: (db: ClassicLevel<string, Buffer>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotcore-bench-store-'));
  const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  try {
    return await use(db);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function onFerretDb<T>(
  backend: FerretDbBackend,
  use: (client: MongoClient, server: FerretDbHandle) => Promise<T>,
): Promise<T> {
  const server = await startFerretDb(backend);
  const client = await MongoClient.connect(server.url);
  try {
    return await use(client, server);
  } finally {
    await client.close();
    await server.stop();
  }
}

/** Milliseconds per call of `step` (call i), over `seconds` and at least 3 calls, as a table cell. */
export async function msPer(seconds: number, step: (i: number) => Promise<unknown>): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  const start = process.hrtime.bigint();
  let calls = 0;
  for (; calls < 3 || Date.now() < deadline; calls++) await step(calls);
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / calls;
  return ms.toLocaleString('en', { maximumFractionDigits: ms < 1 ? 3 : 1 });
}

/** A table row, printed as it is made: the store, the size, then aedes' cells and iotcore's. */
export function storeRow(store: string, size: number, stock: string[], iotcore: string[]): string {
  const row = `| ${store} | ${size.toLocaleString('en')} | ${stock.join(' | ')} | ${iotcore.join(' | ')} |`;
  console.log(row);
  return row;
}
