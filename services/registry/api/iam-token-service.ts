// yandex.cloud.iam.v1.IamTokenService/Create: what Yandex's SDKs call with a service account's JWT
// (or an OAuth token, here an iotcore API token) before anything else. Public, as Yandex's: the
// request is the credential. The IAM token it returns stands for its source (access/iam-token.ts).
import { status } from '@grpc/grpc-js';
import {
  IamTokenServiceService,
  type IamTokenServiceServer,
  CreateIamTokenResponse,
} from '../../generated/yandex/cloud/iam/v1/iam_token_service.js';
import { signIamToken, type IamTokenSource } from '../access/iam-token.js';
import { readServiceAccountJwt, verifyServiceAccountJwt } from '../access/service-account-jwt.js';
import type { ResourceContext } from '../resources/context.js';
import { ApiError } from './errors.js';
import { publicUnary, type HandlerContext } from './unary.js';

export function iamTokenService(ctx: ResourceContext, handler: HandlerContext, tokens: { key: Buffer; lifetimeMs: number }) {
  const fromJwt = async (jwt: string): Promise<IamTokenSource> => {
    const parsed = readServiceAccountJwt(jwt);
    const key = await ctx.store.getServiceAccountKey(parsed.kid);
    // One message for both: which key IDs exist is nobody's business.
    if (!key || !(await ctx.store.getServiceAccount(key.service_account_id))) {
      throw new ApiError(status.UNAUTHENTICATED, `key ${parsed.kid} not found`);
    }
    verifyServiceAccountJwt(parsed, key, ctx.now());
    return { kind: 'key', id: key.id };
  };

  const implementation: IamTokenServiceServer = {
    create: publicUnary(handler, 'IamTokenService.Create', async (request) => {
      const identity = request.identity;
      if (!identity || identity.value === '') throw new ApiError(status.INVALID_ARGUMENT, 'jwt or yandex_passport_oauth_token is required');
      const source = identity.$case === 'jwt' ? await fromJwt(identity.value) : await handler.access.iamTokenSource(identity.value);
      const expiresAt = new Date(ctx.now().getTime() + tokens.lifetimeMs);
      return CreateIamTokenResponse.fromPartial({ iam_token: signIamToken(source, expiresAt, tokens.key), expires_at: expiresAt });
    }),
  };
  return { definition: IamTokenServiceService, implementation };
}
