// Reads a directory of `yc … --format json` outputs (the layout `scripts/yandex-dump.sh` writes)
// into a folder snapshot. yc prints Yandex's messages as protobuf JSON with the proto field names
// (snake_case), which the generated `fromJSON` readers accept as they are.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DataStreamExport, Registry } from '../generated/yandex/cloud/iot/devices/v1/registry.js';
import { Device } from '../generated/yandex/cloud/iot/devices/v1/device.js';
import { Broker } from '../generated/yandex/cloud/iot/broker/v1/broker.js';
import type { CertificateSnapshot, CredentialSnapshot, FolderSnapshot, PasswordIdSnapshot } from './yandex-snapshot.js';

export class DumpError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'DumpError';
  }
}

export async function readDump(dir: string): Promise<FolderSnapshot> {
  const registries = await Promise.all(
    (await readList(dir, 'registries.json', { required: true })).map(async (json) => {
      const registry = Registry.fromJSON(json);
      requireId('registries.json', registry.id);
      const base = path.join('registries', registry.id);
      const devices = (await readList(dir, path.join(base, 'devices.json'))).map((entry) => Device.fromJSON(entry));
      await mergeAliasList(dir, path.join(base, 'topic-aliases.json'), devices);
      return {
        registry,
        exports: (await readList(dir, path.join(base, 'yds-exports.json'))).map((entry) => DataStreamExport.fromJSON(entry)),
        credentials: await readCredentials(dir, base),
        devices: await Promise.all(
          devices.map(async (device) => {
            requireId(path.join(base, 'devices.json'), device.id);
            return { device, credentials: await readCredentials(dir, path.join('devices', device.id)) };
          }),
        ),
      };
    }),
  );
  const brokers = await Promise.all(
    (await readList(dir, 'brokers.json')).map(async (json) => {
      const broker = Broker.fromJSON(json);
      requireId('brokers.json', broker.id);
      return { broker, credentials: await readCredentials(dir, path.join('brokers', broker.id)) };
    }),
  );
  const triggers = (await exists(dir, 'triggers.json')) ? await readList(dir, 'triggers.json') : undefined;
  return { registries, brokers, triggers };
}

async function exists(dir: string, file: string): Promise<boolean> {
  try {
    await readFile(path.join(dir, file));
    return true;
  } catch {
    return false;
  }
}

async function readCredentials(dir: string, base: string): Promise<CredentialSnapshot> {
  const certificatesFile = path.join(base, 'certificates.json');
  const certificates = (await readList(dir, certificatesFile)).map((json): CertificateSnapshot => {
    const entry = json as Record<string, unknown>;
    if (typeof entry.certificate_data !== 'string') throw new DumpError(certificatesFile, 'a certificate without certificate_data');
    return {
      fingerprint: String(entry.fingerprint ?? ''),
      certificate_data: entry.certificate_data,
      created_at: timestamp(entry.created_at),
    };
  });
  const passwordsFile = path.join(base, 'passwords.json');
  const passwords = (await readList(dir, passwordsFile)).map((json): PasswordIdSnapshot => {
    const entry = json as Record<string, unknown>;
    requireId(passwordsFile, entry.id);
    return { id: String(entry.id), created_at: timestamp(entry.created_at) };
  });
  return { certificates, passwords };
}

/** `yc iot registry list-device-topic-aliases` lists what the devices' own topic_aliases hold; merge both. */
async function mergeAliasList(dir: string, file: string, devices: Device[]): Promise<void> {
  const byId = new Map(devices.map((device) => [device.id, device]));
  for (const json of await readList(dir, file)) {
    const entry = json as Record<string, unknown>;
    const device = byId.get(String(entry.device_id));
    if (!device)
      throw new DumpError(file, `alias "${String(entry.alias)}" names device ${String(entry.device_id)}, which is not in devices.json`);
    device.topic_aliases[String(entry.alias)] ??= String(entry.topic_prefix);
  }
}

async function readList(dir: string, file: string, options: { required?: boolean } = {}): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path.join(dir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !options.required) return [];
    throw new DumpError(file, (error as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? [] : JSON.parse(text);
  } catch (error) {
    throw new DumpError(file, `not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new DumpError(file, 'expected a JSON array, as `yc … list --format json` prints');
  return parsed;
}

function requireId(file: string, id: unknown): void {
  if (typeof id !== 'string' || id === '') throw new DumpError(file, 'an entry without an id');
}

function timestamp(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
