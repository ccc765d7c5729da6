// The registry as its own process's MQTT edge sees it (all-in-one): direct calls, no network hop.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Authenticator } from './auth/authenticator.js';
import type { ResourceContext } from './resources/context.js';
import type { RegistryLink } from '../contracts/registry-link.js';
import type { ConnectionLogStore } from './logs/log-store.js';

/** Devices stored per turn of the event loop, which this process's MQTT messages share. */
const ACTIVITY_PER_TURN = 100;

export function inProcessLink(ctx: ResourceContext, authenticator: Authenticator, logs: ConnectionLogStore): RegistryLink {
  return {
    authenticate: (request) => authenticator.authenticate(request),
    describe: (kind, id) => authenticator.describe(kind, id, ''),
    lookupDevice: async (deviceId) => {
      const device = await ctx.store.getDevice(deviceId);
      return device && { registry_id: device.registry_id };
    },
    follow: (after, handler) => ctx.events.follow(after, handler),
    checkSessions: (sessions) =>
      Promise.all(sessions.map((session) => authenticator.recheck(session.kind, session.id, session.credential_id))),
    writeLogs: (entries) => logs.append(entries),
    registryExports: async (registryId) =>
      (await ctx.store.listDataStreamExports(registryId)).map(({ id, mqtt_topic_filter, stream }) => ({ id, mqtt_topic_filter, stream })),
    sourceTriggers: async (kind, id) =>
      (await ctx.store.listSourceTriggers(kind, id)).map(({ id: triggerId, device_id, filter }) => ({ id: triggerId, device_id, filter })),
    reportActivity: async (activities) => {
      for (let start = 0; start < activities.length; start += ACTIVITY_PER_TURN) {
        if (start > 0) await nextTurn();
        const slice = activities.slice(start, start + ACTIVITY_PER_TURN);
        await ctx.store.recordDeviceMonitoring(slice.map(({ device_id, ...patch }) => ({ device_id, patch })));
      }
    },
  };
}
