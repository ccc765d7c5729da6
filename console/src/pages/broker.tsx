// A broker: labels, description, credentials, delete, connection logs.
import { api, enc, type Json } from '../api';
import { can } from '../access';
import { ConfirmDelete, Credentials, DescriptionAndLabels, ErrorText, Section, Tabs } from '../components';
import { useLoad } from '../hooks';
import { href } from '../route';
import { useIdentity } from '../session';
import { Logs } from './logs';

export function BrokerPage({ brokerId, tab }: { brokerId: string; tab: string }) {
  const identity = useIdentity();
  const path = `/iot-broker/v1/brokers/${enc(brokerId)}`;
  const broker = useLoad(() => api<Json>('GET', path), [path]);
  if (!broker.data) return broker.error ? <ErrorText error={broker.error} /> : <p class="muted">Loading…</p>;
  const folderId = String(broker.data.folderId);
  const canEdit = can(identity, 'iot.editor', folderId);
  const update = (patch: Json, mask: string) => api('PATCH', path, { ...patch, updateMask: mask }).then(broker.reload);
  const current = tab || 'settings';
  return (
    <>
      <p class="crumbs">
        <a href={href('folders', folderId)}>{folderId}</a> /
      </p>
      <h1>
        Broker {String(broker.data.name)} <code>{brokerId}</code>
      </h1>
      <Tabs
        tabs={[
          ['settings', 'Settings'],
          ['logs', 'Logs'],
        ]}
        current={current}
        base={href('brokers', brokerId)}
      />
      {current === 'settings' ? (
        <>
          <DescriptionAndLabels resource={broker.data} canEdit={canEdit} update={update} />
          <Section title="Credentials">
            <Credentials base={path} canEdit={canEdit} />
          </Section>
          {canEdit ? (
            <Section title="Danger zone">
              <ConfirmDelete
                what={`broker ${String(broker.data.name)}`}
                onDelete={() => api('DELETE', path).then(() => (location.hash = href('folders', folderId)))}
              />
            </Section>
          ) : null}
        </>
      ) : (
        <Section title="Connection logs">
          <Logs source={{ brokerId }} />
        </Section>
      )}
    </>
  );
}
