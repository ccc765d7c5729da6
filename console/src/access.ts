// What the token may do, from ConsoleService.WhoAmI: the same role inclusions as the server's
// (services/registry/access/roles.ts). Only for hiding controls: the API decides every call.
export type Role = 'iot.viewer' | 'iot.editor' | 'iot.devices.writer' | 'iot.registries.writer' | 'admin';

export interface Identity {
  name: string;
  bootstrapAdmin: boolean;
  grants: Array<{ folderId: string; role: string }>;
  folderIds: string[];
}

const INCLUDES: Record<string, readonly Role[]> = {
  'iot.viewer': [],
  'iot.devices.writer': [],
  'iot.registries.writer': [],
  'iot.editor': ['iot.viewer', 'iot.devices.writer', 'iot.registries.writer'],
  admin: ['iot.viewer', 'iot.editor', 'iot.devices.writer', 'iot.registries.writer'],
};

export function can(identity: Identity, role: Role, folderId: string): boolean {
  return (
    identity.bootstrapAdmin ||
    identity.grants.some((grant) => grant.folderId === folderId && (grant.role === role || (INCLUDES[grant.role] ?? []).includes(role)))
  );
}
