// Test call (POST /v1/test-calls): the bridge places one call with `trunkbridge test-call` and streams each step
// (100, 180, 200, codec, audio back, round trip) here as it happens; PASS or FAIL at the end. admin keys only.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { issuesByField } from '../form-values.js';
import { Field } from '../field.js';
import { ToolSteps, useToolRun } from '../tool-run.js';

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
  const [errors, setErrors] = useState({});
  const run = useToolRun();
  const canRun = me.role === 'admin';
  // The example points at this bridge's own SIP listener (GET /v1/whoami): a call through its own routing.
  const own = Array.isArray(me.sip) ? me.sip.find((s) => s.transport === 'udp') : undefined;
  const fields = own ? FIELDS.map((f) => (f.name === 'uri' ? { ...f, placeholder: `sip:+15550100@${own.host.includes(':') ? `[${own.host}]` : own.host}:${own.port}` } : f)) : FIELDS;

  const submit = async (e) => {
    e.preventDefault();
    setErrors({});
    const issues = await run.start('/v1/test-calls', bodyOf(values));
    const byField = issuesByField(issues, FIELDS.map((f) => f.name));
    setErrors(byField);
    // A field's error shows next to it; one that names no field above the steps.
    if (byField[''] !== undefined) run.setError(byField['']);
  };

  return html`<section aria-labelledby="page-title">
    <h2 id="page-title">Test call</h2>
    <p>The bridge places one real call with its own SIP stack, sends a tone and reports each step as it happens.</p>
    ${canRun
      ? html`<form class="edit tool" onSubmit=${submit}>
          <fieldset disabled=${run.running}>
            ${fields.map((f) => html`<${Field} field=${f} value=${values[f.name]} error=${errors[f.name]}
              onInput=${(v) => setValues((old) => ({ ...old, [f.name]: v }))} />`)}
          </fieldset>
          <div class="actions">
            <button class="primary" type="submit" disabled=${run.running}>${run.running ? 'Running…' : 'Run'}</button>
            ${run.running ? html`<button type="button" onClick=${run.stop}>Stop</button>` : null}
          </div>
        </form>`
      : html`<p>A test call needs an <code>admin</code> key.</p>`}
    <${ToolSteps} run=${run} id="test-call" />
  </section>`;
}
