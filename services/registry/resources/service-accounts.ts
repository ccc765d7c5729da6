// Service account rules: what an account and an authorized key are made of. Who may make, see or
// delete them is the API's business (api/service-account-service.ts).
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { Grant } from '../access/principal.js';
import type { ServiceAccountKeyRecord, ServiceAccountRecord } from '../store/records.js';
import { validateDescription, validateId, validateName } from '../validation/resource-fields.js';
import type { ResourceContext } from './context.js';

const generateRsaKeyPair = promisify(generateKeyPair);

export async function createServiceAccount(
  ctx: ResourceContext,
  input: { folder_id: string; name: string; description: string; grants: Grant[] },
  createdBy: string,
): Promise<ServiceAccountRecord> {
  validateId('folder_id', input.folder_id);
  validateName('name', input.name, { required: true });
  validateDescription('description', input.description);
  const record: ServiceAccountRecord = { id: ctx.newId(), ...input, created_at: ctx.now(), created_by: createdBy };
  await ctx.store.createServiceAccount(record);
  return record;
}

/** RSA-2048, what `yc iam key create` makes by default; the private key exists only in the return value. */
export async function createServiceAccountKey(
  ctx: ResourceContext,
  account: ServiceAccountRecord,
  description: string,
): Promise<{ record: ServiceAccountKeyRecord; privateKey: string }> {
  validateDescription('description', description);
  const { publicKey, privateKey } = await generateRsaKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const record: ServiceAccountKeyRecord = {
    id: ctx.newId(),
    service_account_id: account.id,
    description,
    key_algorithm: 'RSA_2048',
    public_key: publicKey,
    created_at: ctx.now(),
  };
  await ctx.store.createServiceAccountKey(record);
  return { record, privateKey };
}
