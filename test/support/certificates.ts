// Self-signed client certificates for tests, made the way Yandex's tutorials make them (openssl).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
  /** Lower-case hex SHA-1 of the DER, as openssl prints it (colons removed). */
  opensslFingerprint: string;
}

/** `subjectAltNames` such as `IP:127.0.0.1,DNS:localhost`, for a server certificate clients verify by name. */
export function makeCertificate(commonName = 'localhost', subjectAltNames?: string): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotcore-cert-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      ...(subjectAltNames ? ['-addext', `subjectAltName=${subjectAltNames}`] : []),
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  const fingerprintLine = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha1', '-in', certFile], { encoding: 'utf8' });
  return {
    certPem: readFileSync(certFile, 'utf8'),
    keyPem: readFileSync(keyFile, 'utf8'),
    certFile,
    keyFile,
    opensslFingerprint: fingerprintLine.split('=')[1]!.trim().replaceAll(':', '').toLowerCase(),
  };
}
