// iotcore.access.v1.ServiceAccountService: service accounts and their authorized keys. Managing an
// account or its keys needs `admin` on its folder and on every folder it is granted on: a key
// obtains the account's rights, so making one is like making a token with those grants.
import { status } from '@grpc/grpc-js';
import {
  ServiceAccountServiceService,
  type ServiceAccountServiceServer,
  CreateKeyResponse,
  DeleteKeyResponse,
  DeleteServiceAccountResponse,
  Key,
  ListKeysResponse,
  ListServiceAccountsResponse,
  ServiceAccount,
} from '../../generated/iotcore/access/v1/access.js';
import type { Principal } from '../access/principal.js';
import * as accessTokens from '../resources/access-tokens.js';
import * as serviceAccounts from '../resources/service-accounts.js';
import type { ResourceContext } from '../resources/context.js';
import type { ServiceAccountKeyRecord, ServiceAccountRecord } from '../store/records.js';
import { validateId } from '../validation/resource-fields.js';
import { ApiError } from './errors.js';
import { unary, type HandlerContext } from './unary.js';

export function serviceAccountService(ctx: ResourceContext, handler: HandlerContext) {
  const manageable = async (accountId: string, caller: Principal): Promise<ServiceAccountRecord> => {
    validateId('service_account_id', accountId);
    const account = await ctx.store.getServiceAccount(accountId);
    if (!account) throw new ApiError(status.NOT_FOUND, `service account ${accountId} not found`);
    requireAdmin(caller, account);
    return account;
  };

  const implementation: ServiceAccountServiceServer = {
    create: unary(handler, 'ServiceAccountService.Create', async (request, caller) => {
      validateId('folder_id', request.folder_id);
      const grants = accessTokens.validateGrants(request.grants);
      requireAdmin(caller, { folder_id: request.folder_id, grants });
      const record = await serviceAccounts.createServiceAccount(
        ctx,
        { folder_id: request.folder_id, name: request.name, description: request.description, grants },
        caller.name,
      );
      return accountMessage(record);
    }),

    list: unary(handler, 'ServiceAccountService.List', async (request, caller) => {
      validateId('folder_id', request.folder_id);
      caller.require('admin', request.folder_id);
      const listed = (await ctx.store.listServiceAccounts()).filter((account) => account.folder_id === request.folder_id);
      return ListServiceAccountsResponse.fromPartial({ service_accounts: listed.map(accountMessage) });
    }),

    delete: unary(handler, 'ServiceAccountService.Delete', async (request, caller) => {
      const account = await manageable(request.service_account_id, caller);
      await ctx.store.deleteServiceAccount(account.id);
      return DeleteServiceAccountResponse.fromPartial({});
    }),

    createKey: unary(handler, 'ServiceAccountService.CreateKey', async (request, caller) => {
      const account = await manageable(request.service_account_id, caller);
      const { record, privateKey } = await serviceAccounts.createServiceAccountKey(ctx, account, request.description);
      return CreateKeyResponse.fromPartial({ key: keyMessage(record), private_key: privateKey });
    }),

    listKeys: unary(handler, 'ServiceAccountService.ListKeys', async (request, caller) => {
      const account = await manageable(request.service_account_id, caller);
      return ListKeysResponse.fromPartial({ keys: (await ctx.store.listServiceAccountKeys(account.id)).map(keyMessage) });
    }),

    deleteKey: unary(handler, 'ServiceAccountService.DeleteKey', async (request, caller) => {
      validateId('key_id', request.key_id);
      const key = await ctx.store.getServiceAccountKey(request.key_id);
      if (!key) throw new ApiError(status.NOT_FOUND, `key ${request.key_id} not found`);
      await manageable(key.service_account_id, caller);
      await ctx.store.deleteServiceAccountKey(key.id);
      return DeleteKeyResponse.fromPartial({});
    }),
  };
  return { definition: ServiceAccountServiceService, implementation };
}

function requireAdmin(caller: Principal, account: Pick<ServiceAccountRecord, 'folder_id' | 'grants'>): void {
  caller.require('admin', account.folder_id);
  for (const grant of account.grants) caller.require('admin', grant.folder_id);
}

function accountMessage(record: ServiceAccountRecord): ServiceAccount {
  return ServiceAccount.fromPartial(record);
}

function keyMessage(record: ServiceAccountKeyRecord): Key {
  return Key.fromPartial(record);
}
