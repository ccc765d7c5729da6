// Pieces the registry, device and broker pages share: labels, description, passwords,
// certificates, confirmation of a delete, errors. Each edit control exists only when `canEdit`.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, type Json } from './api';
import { useAction, useLoad } from './hooks';
import { passwordStrength } from './password-strength';

export function ErrorText({ error }: { error?: Error }) {
  return error ? (
    <p class="error" role="alert">
      {error.message}
    </p>
  ) : null;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id && `${id}-title`}>
      <h2 id={id && `${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

export function formatTime(value: unknown): string {
  if (typeof value !== 'string' || !value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || date.getTime() === 0 ? '—' : date.toLocaleString();
}

/** Two steps: the first press asks, the second (named after what goes) deletes. */
export function ConfirmDelete({ what, onDelete }: { what: string; onDelete: () => Promise<unknown> }) {
  const [asking, setAsking] = useState(false);
  const action = useAction();
  if (!asking)
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        Delete…
      </button>
    );
  return (
    <span class="confirm" aria-live="polite">
      <span>Delete {what}? This cannot be undone.</span>
      <button type="button" class="danger" disabled={action.busy} onClick={() => action.run(onDelete)}>
        Yes, delete {what}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
      <ErrorText error={action.error} />
    </span>
  );
}

export function Labels({
  labels,
  canEdit,
  onSave,
}: {
  labels: Record<string, string>;
  canEdit: boolean;
  onSave: (labels: Record<string, string>) => Promise<unknown>;
}) {
  const action = useAction();
  const entries = Object.entries(labels);
  return (
    <div>
      {entries.length === 0 ? <p class="muted">No labels.</p> : null}
      <ul class="chips">
        {entries.map(([name, text]) => (
          <li key={name} class="chip">
            <code>
              {name}={text}
            </code>
            {canEdit ? (
              <button
                type="button"
                class="link"
                aria-label={`Remove label ${name}`}
                onClick={() => {
                  const next = { ...labels };
                  delete next[name];
                  void action.run(() => onSave(next));
                }}
              >
                ×
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {canEdit ? (
        <AddEntryForm
          busy={action.busy}
          keyField={{ label: 'Label key', placeholder: 'key' }}
          valueField={{ label: 'Label value', placeholder: 'value', required: false }}
          submit="Add label"
          onAdd={(key, value) => action.run(() => onSave({ ...labels, [key]: value }))}
        />
      ) : null}
      <ErrorText error={action.error} />
    </div>
  );
}

interface EntryField {
  label: string;
  placeholder: string;
  required?: boolean;
}

/** A key and a value added to a map (labels, aliases); the inputs clear once `onAdd` succeeded. */
export function AddEntryForm({
  keyField,
  valueField,
  submit,
  busy,
  onAdd,
}: {
  keyField: EntryField;
  valueField: EntryField;
  submit: string;
  busy: boolean;
  onAdd: (key: string, value: string) => Promise<boolean>;
}) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  return (
    <form
      class="inline"
      onSubmit={(event) => {
        event.preventDefault();
        void onAdd(key, value).then((ok) => {
          if (!ok) return;
          setKey('');
          setValue('');
        });
      }}
    >
      <input
        aria-label={keyField.label}
        placeholder={keyField.placeholder}
        value={key}
        onInput={(e) => setKey(e.currentTarget.value)}
        required={keyField.required ?? true}
      />
      <input
        aria-label={valueField.label}
        placeholder={valueField.placeholder}
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
        required={valueField.required ?? true}
      />
      <button type="submit" disabled={busy}>
        {submit}
      </button>
    </form>
  );
}

/** The "Description and labels" card of a registry, device or broker; `update` PATCHes with an update mask. */
export function DescriptionAndLabels({
  resource,
  canEdit,
  update,
}: {
  resource: Json;
  canEdit: boolean;
  update: (patch: Json, mask: string) => Promise<unknown>;
}) {
  return (
    <Section title="Description and labels">
      <Description
        text={String(resource.description ?? '')}
        canEdit={canEdit}
        onSave={(description) => update({ description }, 'description')}
      />
      <Labels
        labels={(resource.labels as Record<string, string>) ?? {}}
        canEdit={canEdit}
        onSave={(labels) => update({ labels }, 'labels')}
      />
    </Section>
  );
}

export function Description({ text, canEdit, onSave }: { text: string; canEdit: boolean; onSave: (text: string) => Promise<unknown> }) {
  const [editing, setEditing] = useState<string>();
  const action = useAction();
  if (editing === undefined)
    return (
      <p>
        {text || <span class="muted">No description.</span>}{' '}
        {canEdit ? (
          <button type="button" class="link" onClick={() => setEditing(text)}>
            Edit description
          </button>
        ) : null}
      </p>
    );
  return (
    <form
      class="inline"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(() => onSave(editing)).then((ok) => ok && setEditing(undefined));
      }}
    >
      <input aria-label="Description" class="wide" value={editing} onInput={(e) => setEditing(e.currentTarget.value)} />
      <button type="submit" disabled={action.busy}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(undefined)}>
        Cancel
      </button>
      <ErrorText error={action.error} />
    </form>
  );
}

export function PasswordInput({ value, onInput, label }: { value: string; onInput: (value: string) => void; label: string }) {
  const strength = passwordStrength(value);
  return (
    <span class="password">
      <input
        type="password"
        aria-label={label}
        placeholder={label}
        autocomplete="new-password"
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      {value ? (
        <span class={`strength s${strength.score}`} aria-live="polite">
          <meter min={0} max={3} value={strength.score} aria-hidden="true" /> {strength.label}
          {strength.hint ? ` — ${strength.hint}` : ''}
        </span>
      ) : null}
    </span>
  );
}

/** Passwords and certificates of a registry, device or broker (`base`: its REST path). */
export function Credentials({ base, canEdit }: { base: string; canEdit: boolean }) {
  const passwords = useLoad(() => api<{ passwords?: Json[] }>('GET', `${base}/passwords`), [base]);
  const certificates = useLoad(() => api<{ certificates?: Json[] }>('GET', `${base}/certificates`), [base]);
  const [password, setPassword] = useState('');
  const [pem, setPem] = useState('');
  const action = useAction();
  return (
    <>
      <h3>Passwords</h3>
      <ErrorText error={passwords.error} />
      <table>
        <thead>
          <tr>
            <th>ID</th>
            <th>Created</th>
            {canEdit ? <th aria-label="Actions" /> : null}
          </tr>
        </thead>
        <tbody>
          {(passwords.data?.passwords ?? []).map((entry) => (
            <tr key={String(entry.id)}>
              <td>
                <code>{String(entry.id)}</code>
              </td>
              <td>{formatTime(entry.createdAt)}</td>
              {canEdit ? (
                <td>
                  <ConfirmDelete
                    what={`password ${String(entry.id)}`}
                    onDelete={() => api('DELETE', `${base}/passwords/${encodeURIComponent(String(entry.id))}`).then(passwords.reload)}
                  />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit ? (
        <form
          class="inline"
          onSubmit={(event) => {
            event.preventDefault();
            void action
              .run(() => api('POST', `${base}/passwords`, { password }).then(passwords.reload))
              .then((ok) => ok && setPassword(''));
          }}
        >
          <PasswordInput label="New password" value={password} onInput={setPassword} />
          <button type="submit" disabled={action.busy || passwordStrength(password).score === 0}>
            Add password
          </button>
        </form>
      ) : null}
      <h3>Certificates</h3>
      <ErrorText error={certificates.error} />
      <table>
        <thead>
          <tr>
            <th>SHA-1 fingerprint</th>
            <th>Created</th>
            {canEdit ? <th aria-label="Actions" /> : null}
          </tr>
        </thead>
        <tbody>
          {(certificates.data?.certificates ?? []).map((entry) => (
            <tr key={String(entry.fingerprint)}>
              <td>
                <code class="break">{String(entry.fingerprint)}</code>
              </td>
              <td>{formatTime(entry.createdAt)}</td>
              {canEdit ? (
                <td>
                  <ConfirmDelete
                    what="certificate"
                    onDelete={() =>
                      api('DELETE', `${base}/certificates/${encodeURIComponent(String(entry.fingerprint))}`).then(certificates.reload)
                    }
                  />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit ? (
        <form
          class="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void action
              .run(() => api('POST', `${base}/certificates`, { certificateData: pem }).then(certificates.reload))
              .then((ok) => ok && setPem(''));
          }}
        >
          <label>
            Certificate (PEM): paste it, or choose a file{' '}
            <input
              type="file"
              accept=".pem,.crt,.cer"
              onChange={(event) => {
                const file = event.currentTarget.files?.[0];
                if (file) void file.text().then(setPem);
              }}
            />
          </label>
          <textarea
            aria-label="Certificate PEM"
            rows={4}
            value={pem}
            placeholder="-----BEGIN CERTIFICATE-----"
            onInput={(e) => setPem(e.currentTarget.value)}
          />
          <button type="submit" disabled={action.busy || !pem.includes('BEGIN CERTIFICATE')}>
            Upload certificate
          </button>
        </form>
      ) : null}
      <ErrorText error={action.error} />
    </>
  );
}

export function Tabs({ tabs, current, base }: { tabs: Array<[id: string, label: string]>; current: string; base: string }) {
  return (
    <nav class="tabs" aria-label="Sections">
      {tabs.map(([id, label]) => (
        <a key={id} href={`${base}/${id}`} aria-current={current === id ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}
