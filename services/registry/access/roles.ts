// The roles a scoped token can be granted on a folder, modelled on Yandex's IAM roles for IoT Core
// (docs/yandex-behaviour.md, spec §6.6). A role covers the roles it includes, as Yandex's do:
// `iot.editor` includes `iot.viewer` and both writer roles (who may change a device may also send
// it a command), `admin` includes everything and alone manages tokens.
export const ROLES = ['iot.viewer', 'iot.editor', 'iot.devices.writer', 'iot.registries.writer', 'admin'] as const;

export type Role = (typeof ROLES)[number];

const INCLUDES: Record<Role, readonly Role[]> = {
  'iot.viewer': [],
  'iot.devices.writer': [],
  'iot.registries.writer': [],
  'iot.editor': ['iot.viewer', 'iot.devices.writer', 'iot.registries.writer'],
  admin: ['iot.viewer', 'iot.editor', 'iot.devices.writer', 'iot.registries.writer'],
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether holding `granted` allows what `required` allows. */
export function roleCovers(granted: Role, required: Role): boolean {
  return granted === required || INCLUDES[granted].includes(required);
}
