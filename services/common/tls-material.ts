// The default TLS of MQTT and the management API: a local CA and a server certificate signed by
// it, made on first start in DATA_DIR/tls so devices and API clients can pin DATA_DIR/tls/ca.pem.
// Reused while the SAN list still matches and the certificate has more than 30 days left.
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

const DAY = 24 * 60 * 60 * 1000;

/** Where the local CA's certificate is (whether or not it has been made yet). */
export function localCaFile(dataDir: string): string {
  return path.resolve(dataDir, 'tls', 'ca.pem');
}

export async function ensureLocalTlsMaterial(dataDir: string, extraSans: string[]): Promise<TlsFiles & { created: boolean }> {
  const dir = path.resolve(dataDir, 'tls');
  const files = { caFile: localCaFile(dataDir), certFile: path.join(dir, 'server.pem'), keyFile: path.join(dir, 'server-key.pem') };
  const caKeyFile = path.join(dir, 'ca-key.pem');
  const sans = [...new Set(['localhost', '127.0.0.1', '::1', os.hostname(), ...extraSans])].sort();
  await mkdir(dir, { recursive: true });

  let created = false;
  if (!existsSync(files.caFile) || !existsSync(caKeyFile)) {
    const ca = issue({ subject: 'iotcore local CA', isCa: true, days: 3650 });
    await writeFile(caKeyFile, ca.keyPem, { mode: 0o600 });
    await writeFile(files.caFile, ca.certPem);
    created = true;
  }
  if (created || !(await serverCertificateValid(files.certFile, sans))) {
    const signer = { certPem: await readFile(files.caFile, 'utf8'), keyPem: await readFile(caKeyFile, 'utf8') };
    const server = issue({ subject: 'iotcore', isCa: false, days: 825, sans, signer });
    await writeFile(files.keyFile, server.keyPem, { mode: 0o600 });
    await writeFile(files.certFile, server.certPem);
    created = true;
  }
  return { ...files, created };
}

async function serverCertificateValid(certFile: string, sans: string[]): Promise<boolean> {
  if (!existsSync(certFile)) return false;
  const certificate = new X509Certificate(await readFile(certFile));
  const present = (certificate.subjectAltName ?? '')
    .split(', ')
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .sort();
  const expiresSoon = new Date(certificate.validTo).getTime() - Date.now() < 30 * DAY;
  return !expiresSoon && sans.every((san) => present.includes(san === '::1' ? '0:0:0:0:0:0:0:1' : san) || present.includes(san));
}

function issue(options: { subject: string; isCa: boolean; days: number; sans?: string[]; signer?: { certPem: string; keyPem: string } }) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  certificate.serialNumber = `01${randomBytes(15).toString('hex')}`;
  certificate.validity.notBefore = new Date(Date.now() - DAY);
  certificate.validity.notAfter = new Date(Date.now() + options.days * DAY);
  certificate.setSubject([{ name: 'commonName', value: options.subject }]);
  const extensions: object[] = options.isCa
    ? [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ]
    : [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: (options.sans ?? []).map((san) => (isIP(san) ? { type: 7, ip: san } : { type: 2, value: san })),
        },
      ];
  certificate.setExtensions(extensions);
  const signerCert = options.signer ? forge.pki.certificateFromPem(options.signer.certPem) : certificate;
  certificate.setIssuer(signerCert.subject.attributes);
  const signingKey = forge.pki.privateKeyFromPem(options.signer?.keyPem ?? keyPem);
  certificate.sign(signingKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(certificate), keyPem };
}
