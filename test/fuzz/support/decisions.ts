// Helpers the alias and ACL targets share: decisions are well formed, and comparable as data.
import assert from 'node:assert/strict';
import type { PublishDecision, SubscribeDecision } from '../../../services/edge/topics/acl.js';

/** Either allowed, or refused with a reason to log. */
export function assertWellFormed(decision: PublishDecision | SubscribeDecision): void {
  if (decision.ok) return;
  assert.equal(typeof decision.reason, 'string');
  assert.ok(decision.reason.length > 0, 'a refusal without a reason');
}

/** A decision as plain data; `toClient` is represented by what it makes of `probe`. */
export function decisionData(decision: PublishDecision | SubscribeDecision, probe: string): unknown {
  if (!('toClient' in decision) || !decision.ok) return decision;
  const { toClient, ...rest } = decision;
  return { ...rest, delivered: toClient(probe) };
}
