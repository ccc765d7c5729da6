// Subject `dedup`: RecentDeliveries.firstTime (services/edge/bus/recent-deliveries.ts), asked for
// every delivery to a session that could be offered a message twice. The key is built in the loop
// as hooks/authorize-forward.ts builds it (`brokerId:brokerCounter`): a new string each time, which
// the set must hash, and which a change of key would change.
import { RecentDeliveries } from '../../services/edge/bus/recent-deliveries.js';
import type { Case } from './measure.js';

// aedes names a broker with a UUID.
const BROKER = '6f1d5a3c-2b7e-4c1a-9d0e-8a4b2c6e1f30';
/** Fewer than the window RecentDeliveries keeps (4,096), so every one stays a repeat. */
const REPEATED_KEYS = 1024;

export function deliveryDedupCases(): Case[] {
  return [
    { name: 'firstTime, new keys', run: offeringNew() },
    { name: 'firstTime, repeated keys', run: offeringRepeats() },
  ];
}

function offeringNew(): Case['run'] {
  const deliveries = new RecentDeliveries();
  let counter = 0; // across batches, so that no batch repeats an earlier one
  return (n) => {
    let first = 0;
    for (let i = 0; i < n; i++) if (deliveries.firstTime(`${BROKER}:${counter++}`)) first++;
    return first;
  };
}

function offeringRepeats(): Case['run'] {
  const deliveries = new RecentDeliveries();
  for (let counter = 0; counter < REPEATED_KEYS; counter++) deliveries.firstTime(`${BROKER}:${counter}`);
  return (n) => {
    let first = 0;
    for (let i = 0; i < n; i++) if (deliveries.firstTime(`${BROKER}:${i % REPEATED_KEYS}`)) first++;
    return first;
  };
}
