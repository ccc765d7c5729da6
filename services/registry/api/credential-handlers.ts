// The six credential RPCs (List/Add/Delete of certificates and passwords) are the same for
// registries, devices and brokers but for message names and the owner field; one builder serves
// all three services.
import type { handleUnaryCall } from '@grpc/grpc-js';
import * as credentials from '../resources/credentials.js';
import type { ResourceContext } from '../resources/context.js';
import type { CertificateRecord, OwnerKind, PasswordRecord } from '../store/records.js';
import type { Principal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { unary, type HandlerContext } from './unary.js';
import { completedOperation, EMPTY_RESPONSE, pack, type Encoder } from './operations.js';

interface MessageType<T> extends Encoder<T> {
  fromPartial(object: object): T;
}

export interface CredentialService {
  /** 'yandex.cloud.iot.devices.v1' */
  pkg: string;
  /** 'Registry' — as in RegistryService, AddRegistryCertificateMetadata, RegistryPassword. */
  entity: 'Registry' | 'Device' | 'Broker';
  /** The owner, once the caller is known to hold `role` on its folder. */
  owner(id: string, caller: Principal, role: Role): Promise<credentials.Owner>;
  certificate: { type: MessageType<unknown>; message(record: CertificateRecord): unknown };
  password: { type: MessageType<unknown>; message(record: PasswordRecord): unknown };
  types: {
    ListCertificatesResponse: MessageType<unknown>;
    ListPasswordsResponse: MessageType<unknown>;
    AddCertificateMetadata: MessageType<unknown>;
    DeleteCertificateMetadata: MessageType<unknown>;
    AddPasswordMetadata: MessageType<unknown>;
    DeletePasswordMetadata: MessageType<unknown>;
  };
}

type CredentialMethod = 'listCertificates' | 'addCertificate' | 'deleteCertificate' | 'listPasswords' | 'addPassword' | 'deletePassword';
// The requests of all six RPCs carry `<entity>_id` plus the field the RPC names.
type Request = Record<string, string>;
type Handler = handleUnaryCall<Request, unknown>;

/** `Server` is the generated server interface (e.g. RegistryServiceServer) the handlers slot into. */
export function credentialHandlers<Server extends Record<CredentialMethod, unknown>>(
  ctx: ResourceContext,
  handler: HandlerContext,
  spec: CredentialService,
): Pick<Server, CredentialMethod> {
  const kind = spec.entity.toLowerCase() as OwnerKind;
  const idField = `${kind}_id`;
  const typeName = (name: string) => `${spec.pkg}.${name}`;
  const metadata = (name: string, type: MessageType<unknown>, ownerId: string, fields: Record<string, string>) =>
    pack(typeName(name), type, type.fromPartial({ [idField]: ownerId, ...fields }));
  const done = (
    caller: Principal,
    ownerId: string,
    description: string,
    packedMetadata: ReturnType<typeof pack>,
    response = EMPTY_RESPONSE,
  ) => completedOperation(ctx, caller, { resource_id: ownerId, description, metadata: packedMetadata, response });
  // Reading credentials is viewing the owner; adding or deleting them is managing it.
  const rpc = (
    method: string,
    role: Role,
    body: (request: Request, owner: credentials.Owner, caller: Principal) => Promise<unknown>,
  ): Handler =>
    unary<Request, unknown>(handler, `${spec.entity}Service.${method}`, async (request, caller) =>
      body(request, await spec.owner(request[idField] ?? '', caller, role), caller),
    );

  const handlers: Record<CredentialMethod, Handler> = {
    listCertificates: rpc('ListCertificates', 'iot.viewer', async (_request, owner) =>
      spec.types.ListCertificatesResponse.fromPartial({
        certificates: (await ctx.store.listCertificates(kind, owner.id)).map(spec.certificate.message),
      }),
    ),

    addCertificate: rpc('AddCertificate', 'iot.editor', async (request, owner, caller) => {
      const record = await credentials.addCertificate(ctx, owner, request.certificate_data ?? '');
      return done(
        caller,
        owner.id,
        `Add ${kind} certificate`,
        metadata(`Add${spec.entity}CertificateMetadata`, spec.types.AddCertificateMetadata, owner.id, { fingerprint: record.fingerprint }),
        pack(typeName(`${spec.entity}Certificate`), spec.certificate.type, spec.certificate.message(record)),
      );
    }),

    deleteCertificate: rpc('DeleteCertificate', 'iot.editor', async (request, owner, caller) => {
      const fingerprint = request.fingerprint ?? '';
      await credentials.deleteCertificate(ctx, owner, fingerprint);
      return done(
        caller,
        owner.id,
        `Delete ${kind} certificate`,
        metadata(`Delete${spec.entity}CertificateMetadata`, spec.types.DeleteCertificateMetadata, owner.id, {
          fingerprint: fingerprint.toLowerCase(),
        }),
      );
    }),

    listPasswords: rpc('ListPasswords', 'iot.viewer', async (_request, owner) =>
      spec.types.ListPasswordsResponse.fromPartial({
        passwords: (await ctx.store.listPasswords(kind, owner.id)).map(spec.password.message),
      }),
    ),

    addPassword: rpc('AddPassword', 'iot.editor', async (request, owner, caller) => {
      const record = await credentials.addPassword(ctx, owner, request.password ?? '');
      return done(
        caller,
        owner.id,
        `Add ${kind} password`,
        metadata(`Add${spec.entity}PasswordMetadata`, spec.types.AddPasswordMetadata, owner.id, { password_id: record.id }),
        pack(typeName(`${spec.entity}Password`), spec.password.type, spec.password.message(record)),
      );
    }),

    deletePassword: rpc('DeletePassword', 'iot.editor', async (request, owner, caller) => {
      const passwordId = request.password_id ?? '';
      await credentials.deletePassword(ctx, owner, passwordId);
      return done(
        caller,
        owner.id,
        `Delete ${kind} password`,
        metadata(`Delete${spec.entity}PasswordMetadata`, spec.types.DeletePasswordMetadata, owner.id, { password_id: passwordId }),
      );
    }),
  };
  // Each generated interface types these handlers with its own request/response messages.
  return handlers as unknown as Pick<Server, CredentialMethod>;
}
