// Quota checks that cost nothing when the quota is off: the count is only asked for when a limit
// is set (with quotas off, a create never counts the folder's resources).
import { assertWithinQuota } from './context.js';

export async function checkQuota(what: string, limit: number, count: () => Promise<number>): Promise<void> {
  if (limit > 0) assertWithinQuota(what, await count(), limit);
}
