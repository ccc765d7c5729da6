// Scoped API token rules: what a token may be granted and how it is made. Who may make, see or
// revoke one is the API's business (api/access-token-service.ts).
import { FieldError } from '../validation/field-error.js';
import { validateDescription, validateId, validateTime } from '../validation/resource-fields.js';
import type { AccessTokenRecord } from '../store/records.js';
import { isRole, ROLES } from '../access/roles.js';
import type { Grant } from '../access/principal.js';
import { newTokenSecret, tokenHash } from '../access/token-secret.js';
import type { ResourceContext } from './context.js';

const MAX_GRANTS = 100;

export interface CreateAccessTokenInput {
  description: string;
  grants: Array<{ folder_id: string; role: string }>;
  expires_at?: Date;
}

/** Checked grants, duplicates dropped; at least one (a token without grants could do nothing). */
export function validateGrants(grants: CreateAccessTokenInput['grants']): Grant[] {
  if (grants.length === 0) throw new FieldError('grants', 'at least one (folder_id, role) grant is required');
  if (grants.length > MAX_GRANTS) throw new FieldError('grants', `at most ${MAX_GRANTS} grants are allowed`);
  const unique = new Map<string, Grant>();
  grants.forEach((grant, index) => {
    validateId(`grants[${index}].folder_id`, grant.folder_id);
    if (!isRole(grant.role)) throw new FieldError(`grants[${index}].role`, `must be one of ${ROLES.join(', ')}`);
    unique.set(`${grant.folder_id}\n${grant.role}`, { folder_id: grant.folder_id, role: grant.role });
  });
  return [...unique.values()];
}

/** The stored record and the secret, which exists only in this return value and the API response. */
export async function createAccessToken(
  ctx: ResourceContext,
  input: CreateAccessTokenInput & { grants: Grant[] },
  createdBy: string,
): Promise<{ record: AccessTokenRecord; secret: string }> {
  validateDescription('description', input.description);
  validateTime('expires_at', input.expires_at);
  if (input.expires_at && input.expires_at.getTime() <= ctx.now().getTime()) throw new FieldError('expires_at', 'must be in the future');
  const secret = newTokenSecret();
  const record: AccessTokenRecord = {
    id: ctx.newId(),
    hash: tokenHash(secret),
    description: input.description,
    grants: input.grants,
    created_at: ctx.now(),
    // Absent rather than undefined: MongoDB would store an undefined field as null.
    ...(input.expires_at && { expires_at: input.expires_at }),
    created_by: createdBy,
  };
  await ctx.store.createAccessToken(record);
  return { record, secret };
}
