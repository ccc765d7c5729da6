// Folders the token can see, and a folder's registries and brokers.
import { useState } from 'preact/hooks';
import { api, query, type Json } from '../api';
import { can } from '../access';
import { ErrorText, formatTime, PasswordInput, Section } from '../components';
import { useAction, useLoad } from '../hooks';
import { href } from '../route';
import { useIdentity } from '../session';

export function Folders() {
  const identity = useIdentity();
  const [other, setOther] = useState('');
  return (
    <Section title="Folders">
      <ul class="list">
        {identity.folderIds.map((folderId) => (
          <li key={folderId}>
            <a href={href('folders', folderId)}>{folderId}</a>
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          if (other) location.hash = href('folders', other);
        }}
      >
        <label>
          Open folder by ID <input value={other} onInput={(e) => setOther(e.currentTarget.value)} />
        </label>
        <button type="submit">Open</button>
      </form>
    </Section>
  );
}

export function Folder({ folderId }: { folderId: string }) {
  const identity = useIdentity();
  const canEdit = can(identity, 'iot.editor', folderId);
  const registries = useLoad(
    () => api<{ registries?: Json[] }>('GET', query('/iot-devices/v1/registries', { folderId, pageSize: 1000 })),
    [folderId],
  );
  const brokers = useLoad(
    () => api<{ brokers?: Json[] }>('GET', query('/iot-broker/v1/brokers', { folderId, pageSize: 1000 })),
    [folderId],
  );
  return (
    <>
      <h1>
        Folder <code>{folderId}</code>
      </h1>
      <Section title="Registries" id="registries">
        <ErrorText error={registries.error} />
        <ResourceTable rows={registries.data?.registries ?? []} kind="registries" />
        {canEdit ? <CreateForm kind="registry" folderId={folderId} onCreated={(id) => (location.hash = href('registries', id))} /> : null}
      </Section>
      <Section title="Brokers" id="brokers">
        <ErrorText error={brokers.error} />
        <ResourceTable rows={brokers.data?.brokers ?? []} kind="brokers" />
        {canEdit ? <CreateForm kind="broker" folderId={folderId} onCreated={(id) => (location.hash = href('brokers', id))} /> : null}
      </Section>
    </>
  );
}

function ResourceTable({ rows, kind }: { rows: Json[]; kind: 'registries' | 'brokers' }) {
  if (rows.length === 0) return <p class="muted">None yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>ID</th>
          <th>Status</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={String(row.id)}>
            <td>
              <a href={href(kind, String(row.id))}>{String(row.name)}</a>
            </td>
            <td>
              <code>{String(row.id)}</code>
            </td>
            <td>{String(row.status ?? '')}</td>
            <td>{formatTime(row.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CreateForm({ kind, folderId, onCreated }: { kind: 'registry' | 'broker'; folderId: string; onCreated: (id: string) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const path = kind === 'registry' ? '/iot-devices/v1/registries' : '/iot-broker/v1/brokers';
  return (
    <form
      class="inline"
      aria-label={`Create ${kind}`}
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(async () => {
          const operation = await api<{ response?: { id?: string } }>('POST', path, { folderId, name, ...(password ? { password } : {}) });
          if (operation.response?.id) onCreated(operation.response.id);
        });
      }}
    >
      <input
        aria-label={`New ${kind} name`}
        placeholder={`new ${kind} name`}
        value={name}
        onInput={(e) => setName(e.currentTarget.value)}
        required
      />
      <PasswordInput label={`${kind} password (optional)`} value={password} onInput={setPassword} />
      <button type="submit" disabled={action.busy}>
        Create {kind}
      </button>
      <ErrorText error={action.error} />
    </form>
  );
}
