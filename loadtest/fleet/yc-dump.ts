// Writes a `yc --format json` dump of one registry with N devices in the layout of
// scripts/yandex-dump.sh: every `aliasEvery`-th device has a topic alias, every `certificateEvery`-th
// a client certificate (distinct self-signed certificates, one key pair to keep generation quick).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';

export interface DumpShape {
  devices: number;
  aliasEvery: number;
  certificateEvery: number;
}

export async function writeYcDump(dir: string, shape: DumpShape): Promise<{ registryId: string; certificates: number; aliases: number }> {
  const registryId = 'arefleetregistry0001';
  const created = '2024-05-01T10:00:00Z';
  const base = path.join(dir, 'registries', registryId);
  await mkdir(base, { recursive: true });
  await writeFile(
    path.join(dir, 'registries.json'),
    JSON.stringify([
      {
        id: registryId,
        folder_id: 'b1gfleetfolder000001',
        created_at: created,
        name: 'fleet',
        description: 'fleet-scale import',
        labels: {},
        status: 'ACTIVE',
      },
    ]),
  );
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const devices: object[] = [];
  let certificates = 0;
  let aliases = 0;
  for (let index = 0; index < shape.devices; index++) {
    const id = `arefleet${index.toString(32).padStart(12, '0')}`;
    const topic_aliases: Record<string, string> = {};
    if (index % shape.aliasEvery === 0) {
      topic_aliases[`fleet/${index}/`] = '$devices/{id}/events/';
      aliases++;
    }
    devices.push({ id, registry_id: registryId, created_at: created, name: `device-${index}`, topic_aliases, status: 'ACTIVE' });
    if (index % shape.certificateEvery === 0) {
      await mkdir(path.join(dir, 'devices', id), { recursive: true });
      await writeFile(
        path.join(dir, 'devices', id, 'certificates.json'),
        JSON.stringify([{ device_id: id, certificate_data: certificate(keys, id, index), created_at: created }]),
      );
      certificates++;
    }
  }
  await writeFile(path.join(base, 'devices.json'), JSON.stringify(devices));
  return { registryId, certificates, aliases };
}

function certificate(keys: forge.pki.rsa.KeyPair, commonName: string, serial: number): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `10${serial.toString(16).padStart(8, '0')}`; // DER integers are minimal: no leading zero byte
  cert.validity.notBefore = new Date('2024-01-01T00:00:00Z');
  cert.validity.notAfter = new Date('2034-01-01T00:00:00Z');
  const attrs = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
