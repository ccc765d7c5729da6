// A device: status and monitoring, labels, description, credentials, aliases, delete; live view and
// connection logs.
import { useEffect } from 'preact/hooks';
import { api, enc, query, type Json } from '../api';
import { can } from '../access';
import { AddEntryForm, ConfirmDelete, Credentials, DescriptionAndLabels, ErrorText, formatTime, Section, Tabs } from '../components';
import { isOnline, type Monitoring } from '../device-status';
import { useAction, useLoad } from '../hooks';
import { href } from '../route';
import { useIdentity } from '../session';
import { LiveView } from './live-view';
import { Logs } from './logs';

const REFRESH_MS = 3000;

export function DevicePage({ deviceId, tab }: { deviceId: string; tab: string }) {
  const identity = useIdentity();
  const path = `/iot-devices/v1/devices/${enc(deviceId)}`;
  const device = useLoad(() => api<Json>('GET', query(path, { deviceView: 'FULL' })), [path]);
  const registryId = device.data ? String(device.data.registryId) : undefined;
  const registry = useLoad(
    () => (registryId ? api<Json>('GET', `/iot-devices/v1/registries/${enc(registryId)}`) : Promise.resolve(undefined)),
    [registryId],
  );
  // Status and last activity change while the page is open.
  useEffect(() => {
    const timer = setInterval(device.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [device.reload]);
  if (!device.data || !registry.data)
    return device.error || registry.error ? <ErrorText error={device.error ?? registry.error} /> : <p class="muted">Loading…</p>;
  const folderId = String(registry.data.folderId);
  const canEdit = can(identity, 'iot.editor', folderId);
  const canLive = can(identity, 'iot.registries.writer', folderId);
  const monitoring = device.data.monitoringData as Monitoring | undefined;
  const online = isOnline(monitoring);
  const update = (patch: Json, mask: string) => api('PATCH', path, { ...patch, updateMask: mask }).then(device.reload);
  const current = tab || 'overview';
  return (
    <>
      <p class="crumbs">
        <a href={href('folders', folderId)}>{folderId}</a> / <a href={href('registries', registryId!)}>{String(registry.data.name)}</a> /
      </p>
      <h1>
        Device {String(device.data.name)} <code>{deviceId}</code>{' '}
        <span class={online ? 'online' : 'offline'} data-testid="device-status">
          {online ? 'online' : 'offline'}
        </span>
      </h1>
      <Tabs
        tabs={[['overview', 'Overview'], ...(canLive ? ([['live', 'Live']] as Array<[string, string]>) : []), ['logs', 'Logs']]}
        current={current}
        base={href('devices', deviceId)}
      />
      {current === 'overview' ? (
        <>
          <Section title="Monitoring">
            <dl class="facts">
              <dt>Last online</dt>
              <dd>{formatTime(monitoring?.lastOnlineTime)}</dd>
              <dt>Last authenticated</dt>
              <dd>
                {formatTime(monitoring?.lastAuthTime)} {monitoring?.lastAuthIp ? `from ${monitoring.lastAuthIp}` : ''}
              </dd>
              <dt>Last publish</dt>
              <dd>{formatTime(monitoring?.lastPubActivityTime)}</dd>
              <dt>Last disconnect</dt>
              <dd>{formatTime(monitoring?.lastDisconnectTime)}</dd>
            </dl>
          </Section>
          <DescriptionAndLabels resource={device.data} canEdit={canEdit} update={update} />
          <Section title="Topic aliases">
            <Aliases
              aliases={(device.data.topicAliases as Record<string, string>) ?? {}}
              canEdit={canEdit}
              onSave={(topicAliases) => update({ topicAliases }, 'topicAliases')}
            />
          </Section>
          <Section title="Credentials">
            <Credentials base={path} canEdit={canEdit} />
          </Section>
          {canEdit ? (
            <Section title="Danger zone">
              <ConfirmDelete
                what={`device ${String(device.data.name)}`}
                onDelete={() => api('DELETE', path).then(() => (location.hash = href('registries', registryId!)))}
              />
            </Section>
          ) : null}
        </>
      ) : null}
      {current === 'live' && canLive ? (
        <Section title="Live messages">
          <LiveView registryId={registryId!} deviceId={deviceId} canPublish={canLive} />
        </Section>
      ) : null}
      {current === 'logs' ? (
        <Section title="Connection logs">
          <Logs source={{ deviceId }} />
        </Section>
      ) : null}
    </>
  );
}

function Aliases({
  aliases,
  canEdit,
  onSave,
}: {
  aliases: Record<string, string>;
  canEdit: boolean;
  onSave: (aliases: Record<string, string>) => Promise<unknown>;
}) {
  const action = useAction();
  return (
    <div>
      <table>
        <thead>
          <tr>
            <th>Alias</th>
            <th>Topic</th>
            {canEdit ? <th aria-label="Actions" /> : null}
          </tr>
        </thead>
        <tbody>
          {Object.entries(aliases).map(([name, target]) => (
            <tr key={name}>
              <td>
                <code>{name}</code>
              </td>
              <td>
                <code>{target}</code>
              </td>
              {canEdit ? (
                <td>
                  <button
                    type="button"
                    onClick={() => {
                      const next = { ...aliases };
                      delete next[name];
                      void action.run(() => onSave(next));
                    }}
                  >
                    Remove
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit ? (
        <AddEntryForm
          busy={action.busy}
          keyField={{ label: 'Alias', placeholder: 'alias' }}
          valueField={{ label: 'Topic', placeholder: '$devices/<id>/events/…' }}
          submit="Add alias"
          onAdd={(alias, topic) => action.run(() => onSave({ ...aliases, [alias]: topic }))}
        />
      ) : null}
      <ErrorText error={action.error} />
    </div>
  );
}
