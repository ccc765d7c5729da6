// Device/registry/broker certificates (docs/yandex-behaviour.md §2.3): self-signed is normal, so a certificate is
// recognised by its fingerprint (lower-case hex SHA-1 of the DER), never by a chain.
import { X509Certificate } from 'node:crypto';
import { fingerprintOfDer } from '../../common/certificate-fingerprint.js';
import { FieldError } from '../validation/field-error.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

export function parseCertificate(field: string, pem: string): { fingerprint: string; pem: string } {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length !== 1 || blocks[0]![1] !== 'CERTIFICATE') {
    throw new FieldError(field, 'must be exactly one PEM-encoded X.509 certificate (-----BEGIN CERTIFICATE-----)');
  }
  const text = `${blocks[0]![0]}\n`;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(text);
  } catch {
    throw new FieldError(field, 'is not a valid X.509 certificate');
  }
  return { fingerprint: fingerprintOfDer(certificate.raw), pem: text };
}

export function validateFingerprint(field: string, value: string): void {
  if (!/^[0-9a-fA-F]{1,50}$/.test(value))
    throw new FieldError(field, 'must be a hexadecimal certificate fingerprint (at most 50 characters)');
}
