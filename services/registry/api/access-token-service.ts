// iotcore.access.v1.AccessTokenService: scoped API tokens. Tokens are managed with `admin` on the
// folders they are granted on, so a folder's admin can hand out tokens for that folder only.
import { status } from '@grpc/grpc-js';
import {
  AccessTokenServiceService,
  type AccessTokenServiceServer,
  AccessToken,
  CreateAccessTokenResponse,
  ListAccessTokensResponse,
  RevokeAccessTokenResponse,
} from '../../generated/iotcore/access/v1/access.js';
import * as accessTokens from '../resources/access-tokens.js';
import type { ResourceContext } from '../resources/context.js';
import type { AccessTokenRecord } from '../store/records.js';
import { validateId } from '../validation/resource-fields.js';
import { ApiError } from './errors.js';
import { unary, type HandlerContext } from './unary.js';

export function accessTokenService(ctx: ResourceContext, handler: HandlerContext) {
  const implementation: AccessTokenServiceServer = {
    create: unary(handler, 'AccessTokenService.Create', async (request, caller) => {
      const grants = accessTokens.validateGrants(request.grants);
      for (const grant of grants) caller.require('admin', grant.folder_id);
      const { record, secret } = await accessTokens.createAccessToken(
        ctx,
        { description: request.description, grants, expires_at: request.expires_at },
        caller.name,
      );
      return CreateAccessTokenResponse.fromPartial({ access_token: tokenMessage(record), secret });
    }),

    list: unary(handler, 'AccessTokenService.List', async (request, caller) => {
      if (request.folder_id === '') caller.requireBootstrapAdmin();
      else {
        validateId('folder_id', request.folder_id);
        caller.require('admin', request.folder_id);
      }
      const all = await ctx.store.listAccessTokens();
      const listed =
        request.folder_id === '' ? all : all.filter((token) => token.grants.some((grant) => grant.folder_id === request.folder_id));
      return ListAccessTokensResponse.fromPartial({ access_tokens: listed.map(tokenMessage) });
    }),

    revoke: unary(handler, 'AccessTokenService.Revoke', async (request, caller) => {
      validateId('token_id', request.token_id);
      const token = await ctx.store.getAccessToken(request.token_id);
      if (!token) throw new ApiError(status.NOT_FOUND, `access token ${request.token_id} not found`);
      for (const grant of token.grants) caller.require('admin', grant.folder_id);
      await ctx.store.deleteAccessToken(token.id);
      return RevokeAccessTokenResponse.fromPartial({});
    }),
  };
  return { definition: AccessTokenServiceService, implementation };
}

function tokenMessage(record: AccessTokenRecord): AccessToken {
  return AccessToken.fromPartial({
    id: record.id,
    description: record.description,
    grants: record.grants,
    created_at: record.created_at,
    expires_at: record.expires_at ?? undefined,
    created_by: record.created_by,
  });
}
