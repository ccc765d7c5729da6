// Online or not, from DeviceView.FULL's monitoring data: connected since its last authentication
// unless a disconnect came after it.
export interface Monitoring {
  lastAuthTime?: string;
  lastDisconnectTime?: string;
  lastOnlineTime?: string;
  lastPubActivityTime?: string;
  lastAuthIp?: string;
}

export function isOnline(monitoring: Monitoring | undefined): boolean {
  const auth = Date.parse(monitoring?.lastAuthTime ?? '');
  if (!auth) return false;
  const disconnect = Date.parse(monitoring?.lastDisconnectTime ?? '');
  return !disconnect || disconnect < auth;
}
