// Test call (POST /v1/test-calls): the bridge places one call with `trunkbridge test-call` and streams each step
// (100, 180, 200, codec, audio back, round trip) here as it happens; PASS or FAIL at the end. operate or admin.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { ApiError, runTool } from '../api.js';
import { issuesByField } from '../form-values.js';
import { Field } from '../field.js';

const FIELDS = [
  { name: 'uri', label: 'Number or SIP URI to call', required: true, placeholder: 'sip:+15550100@127.0.0.1:5060', help: 'sip:NUMBER@HOST[:PORT]: the bridge itself, a carrier or a PBX.' },
  { name: 'seconds', label: 'Seconds on the call', type: 'number', placeholder: '5' },
  { name: 'expectEcho', label: 'Expect the tone back (an echo bot answers)', type: 'checkbox' },
  { name: 'user', label: 'Digest user (if the far end challenges)' },
  { name: 'password', label: 'Digest password', type: 'password', help: 'Sent to the bridge for this call only; never stored or logged.' },
];

/** The form as the API body: empty fields left out, seconds as a number. */
function bodyOf(v) {
  const body = { uri: v.uri.trim(), expectEcho: v.expectEcho === true };
  if (String(v.seconds).trim() !== '') body.seconds = Number(v.seconds);
  if (v.user.trim() !== '') body.user = v.user.trim();
  if (v.password !== '') body.password = v.password;
  return body;
}

export function TestCallPage({ me }) {
  const [values, setValues] = useState({ uri: '', seconds: '', expectEcho: true, user: '', password: '' });
  const [steps, setSteps] = useState([]);
  const [result, setResult] = useState(undefined);
  const [running, setRunning] = useState(false);
  const [errors, setErrors] = useState({});
  const [error, setError] = useState('');
  const stop = useRef(undefined);
  const canRun = me.role === 'operate' || me.role === 'admin';
  // Leaving the page stops a run (the bridge cancels or hangs up the call).
  useEffect(() => () => stop.current?.abort(), []);

  const run = async (e) => {
    e.preventDefault();
    setSteps([]);
    setResult(undefined);
    setErrors({});
    setError('');
    setRunning(true);
    stop.current = new AbortController();
    try {
      setResult(await runTool('/v1/test-calls', bodyOf(values), (line) => setSteps((s) => [...s, line]), stop.current.signal));
    } catch (err) {
      const byField = err instanceof ApiError ? issuesByField(err.issues, FIELDS.map((f) => f.name)) : {};
      setErrors(byField);
      // A field's error shows next to it; anything else (403, 429, a lost connection) above the steps.
      if (err.name !== 'AbortError' && Object.keys(byField).filter((k) => k !== '').length === 0) setError(err.message);
    } finally {
      setRunning(false);
    }
  };

  return html`<section aria-labelledby="page-title">
    <h2 id="page-title">Test call</h2>
    <p>The bridge places one real call with its own SIP stack, sends a tone and reports each step as it happens.</p>
    ${canRun
      ? html`<form class="edit tool" onSubmit=${run}>
          <fieldset disabled=${running}>
            ${FIELDS.map((f) => html`<${Field} field=${f} value=${values[f.name]} error=${errors[f.name]}
              onInput=${(v) => setValues((old) => ({ ...old, [f.name]: v }))} />`)}
          </fieldset>
          <div class="actions">
            <button class="primary" type="submit" disabled=${running}>${running ? 'Running…' : 'Run'}</button>
            ${running ? html`<button type="button" onClick=${() => stop.current?.abort()}>Stop</button>` : null}
          </div>
        </form>`
      : html`<p>A test call needs an <code>operate</code> or <code>admin</code> key.</p>`}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${steps.length > 0 || running
      ? html`<ol class="steps" id="test-call-steps" aria-live="polite" aria-busy=${running ? 'true' : 'false'}>
          ${steps.map((s) => html`<li>${s}</li>`)}
        </ol>`
      : null}
    ${result
      ? html`<p id="test-call-result" role="status" class=${result.result === 'pass' ? 'notice' : 'error'}>
          ${result.result === 'pass' ? 'PASS' : `FAIL (exit code ${result.exitCode})`}</p>`
      : null}
  </section>`;
}
