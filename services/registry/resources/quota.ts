// Quota checks that cost nothing when the quota is off: the count is only asked for when a limit
// is set (with quotas off, a create never counts the folder's resources).
import { assertWithinQuota } from './context.js';

export async function checkQuota(what: string, limit: number, count: () => Promise<number>): Promise<void> {
  if (limit > 0) assertWithinQuota(what, await count(), limit);
}

/**
 * The quota again, after a create: calls running at once all pass `checkQuota` before any of them
 * writes (a password is hashed in between, and they may run on several registry replicas). A call
 * that finds the folder over its limit after its own write backs the write out and fails as the
 * check would have, so the limit holds; all of them may back out (a retry then succeeds).
 */
export async function keepWithinQuota(
  what: string,
  limit: number,
  count: () => Promise<number>,
  backOut: () => Promise<unknown>,
): Promise<void> {
  if (limit <= 0) return;
  const withThisOne = await count();
  if (withThisOne <= limit) return;
  await backOut();
  assertWithinQuota(what, withThisOne - 1, limit);
}
