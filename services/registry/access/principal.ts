// Who is calling the management API, and what they may do. Bootstrap admin tokens (configuration)
// hold every role on every folder; a scoped token holds its grants. Handlers ask with `require`
// once they know the folder of what they touch; the unary adapter (api/unary.ts) refuses to answer
// for a handler that never asked, so a forgotten check fails closed.
import { status } from '@grpc/grpc-js';
import { ApiError } from '../api/errors.js';
import { roleCovers, type Role } from './roles.js';

export interface Grant {
  folder_id: string;
  role: Role;
}

export class Principal {
  #authorized = false;

  private constructor(
    /** For logs and `created_by`: `bootstrap-admin`, `token:<id>` or `service-account:<id>`; never a secret. */
    readonly name: string,
    /** Undefined: every role on every folder. */
    private readonly grants: readonly Grant[] | undefined,
  ) {}

  static bootstrapAdmin(): Principal {
    return new Principal('bootstrap-admin', undefined);
  }

  static scoped(tokenId: string, grants: readonly Grant[]): Principal {
    return new Principal(`token:${tokenId}`, grants);
  }

  static serviceAccount(accountId: string, grants: readonly Grant[]): Principal {
    return new Principal(`service-account:${accountId}`, grants);
  }

  get isBootstrapAdmin(): boolean {
    return this.grants === undefined;
  }

  /** Whether some check (passed or not) was made for this call. */
  get authorized(): boolean {
    return this.#authorized;
  }

  has(role: Role, folderId: string): boolean {
    return this.grants === undefined || this.grants.some((grant) => grant.folder_id === folderId && roleCovers(grant.role, role));
  }

  /** Throws PERMISSION_DENIED naming the missing role unless the principal holds `role` on the folder. */
  require(role: Role, folderId: string): void {
    this.#authorized = true;
    if (!this.has(role, folderId)) throw permissionDenied(`role ${role} on folder ${folderId}`);
  }

  /** The principal's own grants (undefined: every role everywhere). Any caller may read its own, so this counts as the check. */
  ownGrants(): readonly Grant[] | undefined {
    this.#authorized = true;
    return this.grants;
  }

  /** Internal APIs (edge authentication, migration import): bootstrap admin tokens only. */
  requireBootstrapAdmin(): void {
    this.#authorized = true;
    if (!this.isBootstrapAdmin) throw permissionDenied('a bootstrap admin token (from the configuration)');
  }
}

function permissionDenied(what: string): ApiError {
  return new ApiError(status.PERMISSION_DENIED, `permission denied: ${what} required`);
}
