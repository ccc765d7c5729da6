// Passwords and certificates of registries, devices and brokers: one implementation for all three
// owner kinds, so the hashing and uniqueness rules cannot drift apart.
import { assertPasswordStrength, hashPassword } from '../credentials/passwords.js';
import { parseCertificate, validateFingerprint } from '../credentials/certificates.js';
import { validateId } from '../validation/resource-fields.js';
import { FieldError } from '../validation/field-error.js';
import { notFound } from '../store/contract.js';
import type { CertificateRecord, OwnerKind, PasswordRecord } from '../store/records.js';
import type { ResourceContext } from './context.js';

export interface Owner {
  kind: OwnerKind;
  id: string;
  /** Registry of a device, the registry itself, empty for a broker (for revocation events). */
  registry_id: string;
}

/** Builds (but does not store) the credential records given at create time. */
export async function prepareInitialCredentials(
  ctx: ResourceContext,
  owner: Omit<Owner, 'registry_id'>,
  input: { password?: string; certificates: string[] },
): Promise<{ passwords: PasswordRecord[]; certificates: CertificateRecord[] }> {
  const passwords: PasswordRecord[] = [];
  if (input.password) {
    assertPasswordStrength('password', input.password);
    passwords.push(await newPasswordRecord(ctx, owner, input.password));
  }
  const seen = new Set<string>();
  const certificates = input.certificates.map((pem, index) => {
    const parsed = parseCertificate(`certificates[${index}].certificate_data`, pem);
    if (seen.has(parsed.fingerprint)) {
      throw new FieldError(`certificates[${index}].certificate_data`, 'the same certificate is given twice');
    }
    seen.add(parsed.fingerprint);
    return certificateRecord(ctx, owner, parsed);
  });
  return { passwords, certificates };
}

export async function addPassword(ctx: ResourceContext, owner: Owner, password: string): Promise<PasswordRecord> {
  assertPasswordStrength('password', password);
  const record = await newPasswordRecord(ctx, owner, password);
  await ctx.store.addPassword(record);
  return record;
}

export async function deletePassword(ctx: ResourceContext, owner: Owner, passwordId: string): Promise<void> {
  validateId('password_id', passwordId);
  await ctx.store.deletePassword(owner.kind, owner.id, passwordId);
  ctx.events.revoke({ kind: 'PASSWORD_DELETED', entity_id: owner.id, registry_id: owner.registry_id, credential_id: passwordId });
}

export async function addCertificate(ctx: ResourceContext, owner: Owner, pem: string): Promise<CertificateRecord> {
  const record = certificateRecord(ctx, owner, parseCertificate('certificate_data', pem));
  await ctx.store.addCertificate(record);
  return record;
}

export async function deleteCertificate(ctx: ResourceContext, owner: Owner, fingerprint: string): Promise<void> {
  validateFingerprint('fingerprint', fingerprint);
  const normalized = fingerprint.toLowerCase();
  const existing = await ctx.store.findCertificate(normalized);
  if (!existing || existing.owner_id !== owner.id || existing.owner_kind !== owner.kind) {
    throw notFound(`certificate ${normalized} not found on ${owner.kind} ${owner.id}`);
  }
  await ctx.store.deleteCertificate(owner.kind, owner.id, normalized);
  ctx.events.revoke({ kind: 'CERTIFICATE_DELETED', entity_id: owner.id, registry_id: owner.registry_id, credential_id: normalized });
}

async function newPasswordRecord(ctx: ResourceContext, owner: Omit<Owner, 'registry_id'>, password: string): Promise<PasswordRecord> {
  return { id: ctx.newId(), owner_kind: owner.kind, owner_id: owner.id, hash: await hashPassword(password), created_at: ctx.now() };
}

function certificateRecord(
  ctx: ResourceContext,
  owner: Omit<Owner, 'registry_id'>,
  parsed: { fingerprint: string; pem: string },
): CertificateRecord {
  return {
    fingerprint: parsed.fingerprint,
    owner_kind: owner.kind,
    owner_id: owner.id,
    certificate_data: parsed.pem,
    created_at: ctx.now(),
  };
}
