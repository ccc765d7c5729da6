// Data-plane Publish on behalf of a device, registry or broker (Yandex's *DataService.Publish):
// the same publish check as MQTT (hooks/authorize-publish.ts), then a QoS 1 publish through the
// broker, so it is stored and delivered like any message.
import type { Aedes, PublishPacket } from 'aedes';
import { DataPlaneError, type DataPlane } from '../contracts/data-plane.js';
import type { RegistryLink } from '../contracts/registry-link.js';
import { TopicPolicy } from './topics/acl.js';
import { decidePublish } from './hooks/authorize-publish.js';
import type { DeviceOwnerCache } from './registry-link/device-owner-cache.js';
import { exportMessage, type MessageExports } from './export/message-exports.js';

export function dataPlane(broker: Aedes, link: RegistryLink, deviceOwners: DeviceOwnerCache, exports?: MessageExports): DataPlane {
  return {
    async publish(principalRef, topic, data) {
      if (!link.describe) throw new DataPlaneError('UNAVAILABLE', 'data-plane publishing needs the registry in this process');
      const outcome = await link.describe(principalRef.kind, principalRef.id);
      if (outcome.result !== 'OK') throw new DataPlaneError('NOT_FOUND', `${principalRef.kind} ${principalRef.id}: ${outcome.reason}`);
      const decision = await decidePublish(new TopicPolicy(outcome.principal), topic, deviceOwners);
      if (!decision.ok) throw new DataPlaneError('PERMISSION_DENIED', decision.reason);
      exportMessage(exports, outcome.principal, decision.exportTopic, data);
      const packet: PublishPacket = {
        cmd: 'publish',
        topic: decision.internalTopic,
        payload: data,
        qos: 1,
        retain: decision.permanent,
        dup: false,
      };
      await new Promise<void>((resolve, reject) => broker.publish(packet, (error) => (error ? reject(error) : resolve())));
    },
  };
}
