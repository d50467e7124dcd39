// The console's shell: sign in with an API key, then pages by URL hash (#/inbound, #/calls...); what is shown
// and editable follows the key's role from GET /v1/whoami.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { ApiError, session, whoami } from './api.js';
import { InboundPage } from './pages/inbound.js';
import { OutboundPage } from './pages/outbound.js';
import { BotsPage, RegistrationsPage, TransfersPage } from './pages/simple.js';
import { CallsPage } from './pages/calls.js';
import { TestCallPage } from './pages/test-call.js';
import { HistoryPage } from './pages/history.js';

const PAGES = [
  { id: 'inbound', label: 'Inbound trunks', Page: InboundPage },
  { id: 'bots', label: 'Bots', Page: BotsPage },
  { id: 'outbound', label: 'Outbound trunks', Page: OutboundPage },
  { id: 'transfers', label: 'Transfer destinations', Page: TransfersPage },
  { id: 'registrations', label: 'Registrations', Page: RegistrationsPage },
  { id: 'calls', label: 'Live calls', Page: CallsPage },
  { id: 'test-call', label: 'Test call', Page: TestCallPage },
  { id: 'history', label: 'Call history', Page: HistoryPage },
];

const currentPage = () => PAGES.find((p) => `#/${p.id}` === location.hash) ?? PAGES[0];

function SignIn({ onSignedIn }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    session.set(key.trim());
    try {
      onSignedIn(await whoami());
    } catch (err) {
      session.clear();
      setError(err instanceof ApiError && err.status === 401 ? 'This API key is not known to the bridge.' : err.message);
    }
  };
  return html`<main class="signin">
    <h1>trunkbridge console</h1>
    <form onSubmit=${submit}>
      <div class="field">
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="current-password" value=${key} onInput=${(e) => setKey(e.currentTarget.value)}
          aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'api-key-err' : 'api-key-help'} required />
        <div class="help" id="api-key-help">Kept in this tab only (session storage).</div>
        ${error ? html`<div class="error" id="api-key-err" role="alert">${error}</div>` : null}
      </div>
      <button class="primary" type="submit">Sign in</button>
    </form>
  </main>`;
}

function App() {
  const [me, setMe] = useState(undefined);
  const [checking, setChecking] = useState(session.key() !== null);
  const [page, setPage] = useState(currentPage());

  useEffect(() => {
    const onHash = () => setPage(currentPage());
    window.addEventListener('hashchange', onHash);
    if (session.key() !== null) {
      whoami().then(setMe, () => session.clear()).finally(() => setChecking(false));
    }
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.title = me ? `${page.label} · trunkbridge` : 'trunkbridge console';
  }, [me, page]);

  if (checking) return html`<p>Checking the saved key…</p>`;
  if (!me) return html`<${SignIn} onSignedIn=${setMe} />`;
  const signOut = () => {
    session.clear();
    setMe(undefined);
  };
  const Page = page.Page;
  return html`
    <header>
      <h1>trunkbridge</h1>
      <span class="who" data-role=${me.role}>Signed in as <strong>${me.key}</strong> (role ${me.role})</span>
      <button onClick=${signOut}>Sign out</button>
    </header>
    <nav aria-label="Pages"><ul>
      ${PAGES.map((p) => html`<li><a href=${`#/${p.id}`} aria-current=${p === page ? 'page' : undefined}>${p.label}</a></li>`)}
    </ul></nav>
    <main><${Page} key=${page.id} me=${me} /></main>`;
}

const root = document.getElementById('app');
// The "Loading…" text is static HTML: render() adds to a container, so clear it first.
root.textContent = '';
render(html`<${App} />`, root);
