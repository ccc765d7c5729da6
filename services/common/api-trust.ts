// Which CAs a client of the management API trusts (the CLI, and an edge linked to a registry):
// the file it was given, else the local CA of its data dir next to the system's roots, so one
// default works against `iotcore serve`'s own certificate and against a publicly trusted one.
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { localCaFile } from './tls-material.js';

export function apiTrustedRoots(caFile: string | undefined, dataDir: string): Buffer {
  if (caFile) return readFileSync(caFile);
  const system = rootCertificates.join('\n');
  const local = localCaFile(dataDir);
  return Buffer.from(existsSync(local) ? `${readFileSync(local, 'utf8')}\n${system}` : system);
}
