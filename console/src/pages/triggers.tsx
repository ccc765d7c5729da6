// A registry's triggers to HTTP (iotcore.triggers.v1, /iotcore-triggers/v1/triggers): listed by the
// registry's folder and kept to those of this registry; created with the rule, batching, retries
// and a dead letter; the signing secret shown once, as the API returns it only at creation.
import { useState } from 'preact/hooks';
import { api, enc, query, type Json } from '../api';
import { ConfirmDelete, ErrorText, formatTime } from '../components';
import { useAction, useLoad } from '../hooks';

const BASE = '/iotcore-triggers/v1/triggers';

const EMPTY_FORM = {
  name: '',
  url: '',
  bearerToken: '',
  deviceId: '',
  mqttTopic: '',
  batchSize: '1',
  cutoffSeconds: '1',
  retryAttempts: '3',
  retryIntervalSeconds: '10',
  deadLetterKind: 'none',
  deadLetterTopic: '',
};

/** The CreateTriggerRequest of the form, in the proto3 JSON the REST gateway reads. */
function createRequest(registryId: string, form: typeof EMPTY_FORM): Json {
  const deadLetter =
    form.deadLetterKind === 'mqtt'
      ? { mqttTopic: form.deadLetterTopic }
      : form.deadLetterKind === 'kafka'
        ? { kafkaTopic: form.deadLetterTopic }
        : undefined;
  return {
    name: form.name,
    iotMessage: { registryId, deviceId: form.deviceId, mqttTopic: form.mqttTopic },
    batchSettings: { size: form.batchSize, cutoff: `${form.cutoffSeconds}s` },
    retrySettings: { retryAttempts: form.retryAttempts, interval: `${form.retryIntervalSeconds}s` },
    httpEndpoint: { url: form.url, bearerToken: form.bearerToken },
    ...(deadLetter && { deadLetter }),
  };
}

export function Triggers({ registryId, folderId, canEdit }: { registryId: string; folderId: string; canEdit: boolean }) {
  const list = useLoad(() => api<{ triggers?: Json[] }>('GET', query(BASE, { folderId })), [folderId]);
  const [form, setForm] = useState(EMPTY_FORM);
  const [secret, setSecret] = useState<string | undefined>();
  const action = useAction();
  const mine = (list.data?.triggers ?? []).filter((trigger) => (trigger.iotMessage as Json | undefined)?.registryId === registryId);
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
            <th>Endpoint</th>
            <th>Device</th>
            <th>Topic filter</th>
            <th>Batch</th>
            <th>Dead letter</th>
            <th>Created</th>
            {canEdit ? <th aria-label="Actions" /> : null}
          </tr>
        </thead>
        <tbody>
          {mine.map((trigger) => {
            const rule = (trigger.iotMessage ?? {}) as Json;
            const batch = (trigger.batchSettings ?? {}) as Json;
            const deadLetter = (trigger.deadLetter ?? {}) as Json;
            return (
              <tr key={String(trigger.id)}>
                <td>{String(trigger.name || trigger.id)}</td>
                <td>
                  <code>{String((trigger.httpEndpoint as Json | undefined)?.url ?? '')}</code>
                </td>
                <td>{String(rule.deviceId || 'any')}</td>
                <td>
                  <code>{String(rule.mqttTopic || 'all')}</code>
                </td>
                <td>
                  {String(batch.size ?? '')} / {String(batch.cutoff ?? '')}
                </td>
                <td>{String(deadLetter.mqttTopic ?? deadLetter.kafkaTopic ?? 'none')}</td>
                <td>{formatTime(trigger.createdAt)}</td>
                {canEdit ? (
                  <td>
                    <ConfirmDelete
                      what={`trigger ${String(trigger.name || trigger.id)}`}
                      onDelete={() => api('DELETE', `${BASE}/${enc(String(trigger.id))}`).then(list.reload)}
                    />
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      {list.data && mine.length === 0 ? <p class="muted">No triggers.</p> : null}
      {secret ? (
        <p role="status">
          Signing secret of the new trigger (the key of its <code>X-Iotcore-Signature</code> header), shown only now — copy it now:{' '}
          <code data-testid="trigger-secret">{secret}</code>
        </p>
      ) : null}
      {canEdit ? (
        <form
          class="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              const created = await api<{ signingSecret?: string }>('POST', BASE, createRequest(registryId, form));
              setSecret(created.signingSecret);
              setForm(EMPTY_FORM);
              list.reload();
            });
          }}
        >
          <h3>Add trigger</h3>
          <div class="inline">
            {field('name', 'Trigger name')}
            {field('url', 'Endpoint URL')}
            <label>
              Bearer token (optional){' '}
              <input type="password" value={form.bearerToken} onInput={(e) => setForm({ ...form, bearerToken: e.currentTarget.value })} />
            </label>
            {field('deviceId', 'Device ID (optional)')}
            {field('mqttTopic', 'Topic filter (optional)')}
            {field('batchSize', 'Batch size (1–10)')}
            {field('cutoffSeconds', 'Cutoff, s (1–60)')}
            {field('retryAttempts', 'Retry attempts (0–10)')}
            {field('retryIntervalSeconds', 'Retry interval, s')}
            <label>
              Dead letter{' '}
              <select value={form.deadLetterKind} onChange={(e) => setForm({ ...form, deadLetterKind: e.currentTarget.value })}>
                <option value="none">none (dropped, counted)</option>
                <option value="mqtt">MQTT topic</option>
                <option value="kafka">Kafka topic</option>
              </select>
            </label>
            {form.deadLetterKind === 'none' ? null : field('deadLetterTopic', 'Dead-letter topic')}
          </div>
          <button type="submit" disabled={action.busy}>
            Add trigger
          </button>
          <ErrorText error={action.error} />
        </form>
      ) : null}
    </div>
  );
}
