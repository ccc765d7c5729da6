// A registry: its devices, settings (labels, description, credentials, enable/disable, delete),
// live view, connection logs, Data Streams exports and (to come) triggers.
import { api, enc, type Json } from '../api';
import { can } from '../access';
import { ConfirmDelete, Credentials, DescriptionAndLabels, ErrorText, Section, Tabs } from '../components';
import { useAction, useLoad } from '../hooks';
import { href } from '../route';
import { useIdentity } from '../session';
import { Devices } from './devices';
import { Exports } from './exports';
import { LiveView } from './live-view';
import { Logs } from './logs';
import { Triggers } from './triggers';

export function RegistryPage({ registryId, tab }: { registryId: string; tab: string }) {
  const identity = useIdentity();
  const path = `/iot-devices/v1/registries/${enc(registryId)}`;
  const registry = useLoad(() => api<Json>('GET', path), [path]);
  const toggle = useAction();
  if (!registry.data) return registry.error ? <ErrorText error={registry.error} /> : <p class="muted">Loading…</p>;
  const folderId = String(registry.data.folderId);
  const canEdit = can(identity, 'iot.editor', folderId);
  const canLive = can(identity, 'iot.registries.writer', folderId);
  const update = (patch: Json, mask: string) => api('PATCH', path, { ...patch, updateMask: mask }).then(registry.reload);
  const current = tab || 'devices';
  const disabled = registry.data.status === 'DISABLED';
  const tabs: Array<[string, string]> = [
    ['devices', 'Devices'],
    ['settings', 'Settings'],
    ...(canLive ? ([['live', 'Live']] as Array<[string, string]>) : []),
    ['logs', 'Logs'],
    ['exports', 'Data Streams'],
    ['triggers', 'Triggers'],
  ];
  return (
    <>
      <p class="crumbs">
        <a href={href('folders', folderId)}>{folderId}</a> /
      </p>
      <h1>
        Registry {String(registry.data.name)} <code>{registryId}</code>{' '}
        <span class={disabled ? 'offline' : 'online'}>{String(registry.data.status)}</span>
      </h1>
      <Tabs tabs={tabs} current={current} base={href('registries', registryId)} />
      {current === 'devices' ? (
        <Section title="Devices">
          <Devices registryId={registryId} canEdit={canEdit} />
        </Section>
      ) : null}
      {current === 'settings' ? (
        <>
          <DescriptionAndLabels resource={registry.data} canEdit={canEdit} update={update} />
          <Section title="Credentials">
            <Credentials base={path} canEdit={canEdit} />
          </Section>
          {canEdit ? (
            <Section title="Danger zone">
              <div class="inline">
                <button
                  type="button"
                  disabled={toggle.busy}
                  onClick={() => toggle.run(() => api('POST', `${path}:${disabled ? 'enable' : 'disable'}`, {}).then(registry.reload))}
                >
                  {disabled ? 'Enable registry' : 'Disable registry'}
                </button>
                <ConfirmDelete
                  what={`registry ${String(registry.data.name)}`}
                  onDelete={() => api('DELETE', path).then(() => (location.hash = href('folders', folderId)))}
                />
              </div>
              <ErrorText error={toggle.error} />
            </Section>
          ) : null}
        </>
      ) : null}
      {current === 'live' && canLive ? (
        <Section title="Live messages">
          <LiveView registryId={registryId} canPublish={canLive} />
        </Section>
      ) : null}
      {current === 'logs' ? (
        <Section title="Connection logs">
          <Logs source={{ registryId }} />
        </Section>
      ) : null}
      {current === 'exports' ? (
        <Section title="Data Streams exports">
          <Exports registryId={registryId} canEdit={canEdit} />
        </Section>
      ) : null}
      {current === 'triggers' ? (
        <Section title="Triggers">
          <Triggers registryId={registryId} folderId={folderId} canEdit={canEdit} />
        </Section>
      ) : null}
    </>
  );
}
