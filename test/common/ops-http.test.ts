// /readyz: a failing dependency makes the process unready; a failing check that only degrades it
// (the revocation feed) keeps it ready and says "degraded".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOpsServer } from '../../services/common/ops-http.js';
import { createLogger } from '../../services/common/logging.js';

test('readiness: ok, degraded and failing', async () => {
  let storeUp = true;
  let feedUp = true;
  const ops = await startOpsServer({
    listen: '127.0.0.1:0',
    logger: createLogger({ name: 'test', level: 'silent' }),
    checks: [
      { name: 'store', check: () => storeUp },
      { name: 'revocation_feed', check: () => feedUp, degradesOnly: true },
    ],
  });
  const readyz = async () => {
    const response = await fetch(`http://${ops.address}/readyz`);
    return { code: response.status, body: (await response.json()) as { status: string; checks: Record<string, boolean> } };
  };
  try {
    assert.deepEqual(await readyz(), {
      code: 200,
      body: { ready: true, status: 'ok', draining: false, checks: { store: true, revocation_feed: true } },
    });
    feedUp = false;
    const degraded = await readyz();
    assert.deepEqual([degraded.code, degraded.body.status, degraded.body.checks.revocation_feed], [200, 'degraded', false]);
    storeUp = false;
    const failing = await readyz();
    assert.deepEqual([failing.code, failing.body.status], [503, 'failing']);
  } finally {
    await ops.close();
  }
});
