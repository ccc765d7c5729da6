// The console's shell: log in with an API token, then pages by the address's #fragment.
// The token is kept in memory only (api.ts): see README "Web console" for why not storage.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Identity } from './access';
import { api, setToken } from './api';
import { ErrorText } from './components';
import { useAction } from './hooks';
import { BrokerPage } from './pages/broker';
import { ClusterPage } from './pages/cluster';
import { DevicePage } from './pages/device';
import { Folder, Folders } from './pages/folder';
import { RegistryPage } from './pages/registry';
import { parseRoute, type Route } from './route';
import { SessionContext } from './session';
import './style.css';

interface WhoAmI {
  name: string;
  bootstrapAdmin?: boolean;
  grants?: Array<{ folderId: string; role: string }>;
  folderIds?: string[];
}

function App() {
  const [identity, setIdentity] = useState<Identity>();
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  // After a navigation keyboard and screen-reader users start at the page, not at the link they used.
  useEffect(() => {
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [route]);
  if (!identity) return <Login onLogin={setIdentity} />;
  return (
    <SessionContext.Provider value={identity}>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href="#/">
          iotcore
        </a>
        <nav aria-label="Main">
          <a href="#/">Folders</a>
          {identity.bootstrapAdmin ? <a href="#/cluster">Cluster</a> : null}
        </nav>
        <span class="who" title="The token's identity">
          {identity.name}
        </span>
        <button
          type="button"
          onClick={() => {
            setToken(undefined);
            setIdentity(undefined);
            location.hash = '';
          }}
        >
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'folders':
      return <Folders />;
    case 'folder':
      return <Folder folderId={route.folderId} />;
    case 'registry':
      return <RegistryPage key={route.registryId} registryId={route.registryId} tab={route.tab} />;
    case 'device':
      return <DevicePage key={route.deviceId} deviceId={route.deviceId} tab={route.tab} />;
    case 'broker':
      return <BrokerPage key={route.brokerId} brokerId={route.brokerId} tab={route.tab} />;
    case 'cluster':
      return <ClusterPage />;
  }
}

function Login({ onLogin }: { onLogin: (identity: Identity) => void }) {
  const [secret, setSecret] = useState('');
  const action = useAction();
  return (
    <main class="login">
      <h1>iotcore console</h1>
      <form
        class="stack card"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            setToken(secret.trim());
            try {
              const who = await api<WhoAmI>('GET', '/iotcore-console/v1/whoami');
              setSecret('');
              onLogin({
                name: who.name,
                bootstrapAdmin: who.bootstrapAdmin === true,
                grants: who.grants ?? [],
                folderIds: who.folderIds ?? [],
              });
            } catch (error) {
              setToken(undefined);
              throw error;
            }
          });
        }}
      >
        <label>
          API token
          <input
            type="password"
            name="token"
            autocomplete="off"
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
            required
          />
        </label>
        <p class="muted">
          An admin token (data/admin-token) or a scoped token from `iotcore token create`. It stays in this tab's memory only.
        </p>
        <button type="submit" disabled={action.busy}>
          Log in
        </button>
        <ErrorText error={action.error} />
      </form>
    </main>
  );
}

render(<App />, document.getElementById('app')!);
