// A registry's devices: pages of 50 from the API (a registry may hold 100,000), with their status and
// last activity; search by exact ID or name asks the API, a label or part of a name filters the page shown.
import { useState } from 'preact/hooks';
import { api, enc, query, type Json } from '../api';
import { ErrorText, formatTime } from '../components';
import { isOnline, type Monitoring } from '../device-status';
import { useAction, useLoad } from '../hooks';
import { href } from '../route';
import { PasswordInput } from '../components';

const PAGE_SIZE = 50;

export function Devices({ registryId, canEdit }: { registryId: string; canEdit: boolean }) {
  /** Tokens of the pages before the current one, and the current one's. */
  const [pages, setPages] = useState<string[]>(['']);
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<Json[]>();
  const searchAction = useAction();
  const token = pages.at(-1) ?? '';
  const list = useLoad(
    () =>
      api<{ devices?: Json[]; nextPageToken?: string }>(
        'GET',
        query('/iot-devices/v1/devices', { registryId, pageSize: PAGE_SIZE, pageToken: token, deviceView: 'FULL' }),
      ),
    [registryId, token],
  );
  const filter = search.trim().toLowerCase();
  const shown = found ?? (list.data?.devices ?? []).filter((device) => !filter || matches(device, filter));
  return (
    <div>
      <form
        class="inline"
        aria-label="Search devices"
        onSubmit={(event) => {
          event.preventDefault();
          void searchAction.run(async () => setFound(search.trim() ? await findExact(registryId, search.trim()) : undefined));
        }}
      >
        <label>
          Search{' '}
          <input
            type="search"
            placeholder="name, ID or label key=value"
            value={search}
            onInput={(e) => {
              setSearch(e.currentTarget.value);
              setFound(undefined);
            }}
          />
        </label>
        <button type="submit">Find by exact name or ID</button>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </form>
      <ErrorText error={list.error ?? searchAction.error} />
      <table data-testid="device-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>ID</th>
            <th>Status</th>
            <th>Last online</th>
            <th>Last auth</th>
            <th>Last publish</th>
            <th>Labels</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((device) => {
            const monitoring = device.monitoringData as Monitoring | undefined;
            const online = isOnline(monitoring);
            return (
              <tr key={String(device.id)}>
                <td>
                  <a href={href('devices', String(device.id))}>{String(device.name)}</a>
                </td>
                <td>
                  <code>{String(device.id)}</code>
                </td>
                <td>
                  <span class={online ? 'online' : 'offline'}>{online ? 'online' : 'offline'}</span>
                </td>
                <td>{formatTime(monitoring?.lastOnlineTime)}</td>
                <td>{formatTime(monitoring?.lastAuthTime)}</td>
                <td>{formatTime(monitoring?.lastPubActivityTime)}</td>
                <td>
                  {Object.entries((device.labels as Record<string, string>) ?? {}).map(([key, value]) => (
                    <code key={key} class="chip">
                      {key}={value}
                    </code>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {list.loading ? <p class="muted">Loading…</p> : shown.length === 0 ? <p class="muted">No devices{filter ? ' match' : ''}.</p> : null}
      {found === undefined ? (
        <nav class="inline" aria-label="Pages">
          <button type="button" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
            ← Previous
          </button>
          <span>Page {pages.length}</span>
          <button type="button" disabled={!list.data?.nextPageToken} onClick={() => setPages([...pages, list.data!.nextPageToken!])}>
            Next →
          </button>
        </nav>
      ) : null}
      {canEdit ? <CreateDevice registryId={registryId} /> : null}
    </div>
  );
}

function matches(device: Json, filter: string): boolean {
  const labels = Object.entries((device.labels as Record<string, string>) ?? {}).map(([key, value]) => `${key}=${value}`.toLowerCase());
  return (
    String(device.name).toLowerCase().includes(filter) ||
    String(device.id).toLowerCase().includes(filter) ||
    labels.some((label) => label.includes(filter))
  );
}

/** The device with this ID, or else this name, in the registry (the API has no substring search). */
async function findExact(registryId: string, text: string): Promise<Json[]> {
  const byId = await api<Json>('GET', query(`/iot-devices/v1/devices/${enc(text)}`, { deviceView: 'FULL' })).catch(() => undefined);
  if (byId && byId.registryId === registryId) return [byId];
  const byName = await api<Json>(
    'GET',
    query('/iot-devices/v1/devices:getByName', { registryId, deviceName: text, deviceView: 'FULL' }),
  ).catch(() => undefined);
  return byName ? [byName] : [];
}

function CreateDevice({ registryId }: { registryId: string }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  return (
    <form
      class="inline"
      aria-label="Create device"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(async () => {
          const operation = await api<{ response?: { id?: string } }>('POST', '/iot-devices/v1/devices', {
            registryId,
            name,
            ...(password ? { password } : {}),
          });
          if (operation.response?.id) location.hash = href('devices', operation.response.id);
        });
      }}
    >
      <input
        aria-label="New device name"
        placeholder="new device name"
        value={name}
        onInput={(e) => setName(e.currentTarget.value)}
        required
      />
      <PasswordInput label="device password (optional)" value={password} onInput={setPassword} />
      <button type="submit" disabled={action.busy}>
        Create device
      </button>
      <ErrorText error={action.error} />
    </form>
  );
}
