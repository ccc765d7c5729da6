// What the driver and the edge of `npm run bench:logging` agree on: the registry, its password and the modes.
export const REGISTRY_ID = 'benchregistry0000001';
export const PASSWORD = 'Bench-Passw0rd-0001';
export type LoggingMode = 'off' | 'stalled' | 'healthy';
export const MODES: LoggingMode[] = ['off', 'stalled', 'healthy'];
