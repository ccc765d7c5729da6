// Data Streams exports of a registry (RegistryService's DataStreamExport RPCs, served by iotcore
// under /iotcore-devices/: Yandex had them over gRPC only).
import { useState } from 'preact/hooks';
import { api, enc, type Json } from '../api';
import { ConfirmDelete, ErrorText, formatTime } from '../components';
import { useAction, useLoad } from '../hooks';

export function Exports({ registryId, canEdit }: { registryId: string; canEdit: boolean }) {
  const base = `/iotcore-devices/v1/registries/${enc(registryId)}/dataStreamExports`;
  const list = useLoad(() => api<{ dataStreamExports?: Json[] }>('GET', base), [base]);
  const [form, setForm] = useState({ name: '', database: '', stream: '', mqttTopicFilter: '$devices/+/events/#', serviceAccountId: '' });
  const action = useAction();
  const field = (name: keyof typeof form, label: string) => (
    <label>
      {label} <input value={form[name]} onInput={(e) => setForm({ ...form, [name]: e.currentTarget.value })} />
    </label>
  );
  return (
    <div>
      <ErrorText error={list.error} />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Topic filter</th>
            <th>Database</th>
            <th>Stream (Kafka topic)</th>
            <th>Created</th>
            {canEdit ? <th aria-label="Actions" /> : null}
          </tr>
        </thead>
        <tbody>
          {(list.data?.dataStreamExports ?? []).map((entry) => (
            <tr key={String(entry.id)}>
              <td>{String(entry.name ?? '')}</td>
              <td>
                <code>{String(entry.mqttTopicFilter ?? '')}</code>
              </td>
              <td>{String(entry.database ?? '')}</td>
              <td>{String(entry.stream ?? '')}</td>
              <td>{formatTime(entry.createdAt)}</td>
              {canEdit ? (
                <td>
                  <ConfirmDelete
                    what={`export ${String(entry.name ?? entry.id)}`}
                    onDelete={() => api('DELETE', `${base}/${enc(String(entry.id))}`).then(list.reload)}
                  />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && (list.data.dataStreamExports ?? []).length === 0 ? <p class="muted">No exports.</p> : null}
      {canEdit ? (
        <form
          class="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(() => api('POST', base, { ...form, registryId }).then(list.reload));
          }}
        >
          <h3>Add export</h3>
          <div class="inline">
            {field('name', 'Name')}
            {field('mqttTopicFilter', 'Topic filter')}
            {field('database', 'Database')}
            {field('stream', 'Stream')}
            {field('serviceAccountId', 'Service account ID')}
          </div>
          <button type="submit" disabled={action.busy}>
            Add export
          </button>
          <ErrorText error={action.error} />
        </form>
      ) : null}
    </div>
  );
}
