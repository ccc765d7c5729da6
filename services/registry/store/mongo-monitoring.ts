// Devices' monitoring times (last activity, auth, connect) in the MongoDB store. Edges report every
// device active in the last second, every second; written through, each was an update per device
// per second, about 1 ms each on FerretDB v1 on PostgreSQL (so about a thousand devices publishing
// every second kept it busy). As in the embedded store, they are kept here and written every few
// seconds, a device once per save whatever its activity; this replica's reads see them at once,
// another replica's after the next save. A crash loses at most one interval of them.
import type { Collection } from 'mongodb';
import { bulkWriteInChunks } from '../../common/mongo-write-batches.js';
import { PeriodicSaves } from './periodic-saves.js';
import type { DeviceMonitoringRecord, DeviceRecord } from './records.js';
import type { DeviceDocument } from './mongo-devices.js';

/** Devices per save step; each step is written in commands of MAX_WRITES_PER_COMMAND. */
const DEVICES_PER_STEP = 200;

export class MonitoringWrites {
  /** Each device's times not yet written, merged across reports. */
  readonly #unsaved = new Map<string, DeviceMonitoringRecord>();
  readonly #saves: PeriodicSaves;

  constructor(devices: Collection<DeviceDocument>, saveMs: number) {
    this.#saves = new PeriodicSaves(
      async (ids, saved) => {
        const written = ids.flatMap((id) => {
          const patch = this.#unsaved.get(id);
          return patch ? [{ id, patch }] : [];
        });
        await bulkWriteInChunks(
          devices,
          written.map(({ id, patch }) => ({
            updateOne: {
              filter: { _id: id },
              update: { $set: Object.fromEntries(Object.entries(patch).map(([name, value]) => [`monitoring.${name}`, value])) },
            },
          })),
          // A device deleted meanwhile does not stop the rest.
          { ordered: false },
        );
        saved();
        for (const { id, patch } of written) {
          // A report that came in during the write is still to be written.
          if (this.#unsaved.get(id) === patch) this.#unsaved.delete(id);
          else this.#saves.changed(id);
        }
      },
      saveMs,
      DEVICES_PER_STEP,
    );
  }

  record(reports: ReadonlyArray<{ device_id: string; patch: DeviceMonitoringRecord }>): void {
    for (const { device_id, patch } of reports) {
      const times = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
      if (Object.keys(times).length === 0) continue;
      this.#unsaved.set(device_id, { ...this.#unsaved.get(device_id), ...times });
      this.#saves.changed(device_id);
    }
  }

  /** The device as stored, with its times not yet written. */
  current(device: DeviceRecord | undefined): DeviceRecord | undefined {
    const unsaved = device && this.#unsaved.get(device.id);
    return unsaved ? { ...device, monitoring: { ...device.monitoring, ...unsaved } } : device;
  }

  /** Writes what is left. */
  close(): Promise<void> {
    return this.#saves.close();
  }
}
