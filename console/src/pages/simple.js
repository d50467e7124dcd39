// Bots, transfer destinations and registrations: plain forms over their /v1 collections.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { openEventStream, refreshRegistration } from '../api.js';
import { followEventStream } from '../live-stream.js';
import { applyRegistrationEvent, registrationRow } from '../live-registrations.js';
import { ResourcePage } from '../resource-page.js';
import { BOT_PROTOCOLS } from '../choices.js';
import { ToolSteps, useToolRun } from '../tool-run.js';
import { Field } from '../field.js';
import { writeOnlyBody } from '../form-values.js';


/** "set" / "not set" for a write-only field of a stored item (the API names the set ones in `secretsSet`). */
function stateOf(item, name) {
  if (!item) return 'not set';
  return Array.isArray(item.secretsSet) && item.secretsSet.includes(name) ? 'set' : 'not set';
}

/** A bot's headers and signing secret: write-only, shown as set / not set; empty keeps the stored value. */
function BotSecrets({ values, setValue, errors, item, canEdit }) {
  const parts = [
    { name: 'headers', label: 'Headers on the upgrade', type: 'list', placeholder: 'Authorization: Bearer …', help: 'One "Name: value" per line; they replace the stored ones. Empty keeps them.' },
    { name: 'secret', label: 'Signing secret', type: 'password', help: 'At least 16 characters; signs each upgrade (X-Trunkbridge-Signature). Empty keeps it.' },
  ];
  const clear = { headers: 'clearHeaders', secret: 'clearSecret' };
  return html`<div class="write-only">
    ${parts.map((f) => html`<div>
      <${Field} field=${{ ...f, label: html`${f.label} <span class="state" id=${`${f.name}-state`}>(${stateOf(item, f.name)})</span>` }}
        value=${values[f.name] ?? ''} error=${errors[f.name]} onInput=${(v) => setValue(f.name, v)} />
      ${canEdit && stateOf(item, f.name) === 'set'
        ? html`<label class="inline"><input type="checkbox" id=${`f-${clear[f.name]}`} checked=${values[clear[f.name]] === true}
            onChange=${(e) => setValue(clear[f.name], e.currentTarget.checked)} /> Remove the stored ${f.name}</label>`
        : null}
    </div>`)}
  </div>`;
}

export function BotsPage({ me }) {
  // "Check this bot": POST /v1/bot-checks with the bot's name, so the bridge uses the stored URL, protocol, rate,
  // headers and secret (which never come to the browser).
  const check = useToolRun();
  const [checked, setChecked] = useState(undefined);
  const canCheck = me.role === 'admin';
  const runCheck = async (b) => {
    setChecked(b.name);
    const issues = await check.start('/v1/bot-checks', { bot: b.name });
    if (issues.length > 0) check.setError(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  };
  const fields = [
    { name: 'name', label: 'Name', required: true },
    { name: 'url', label: 'WebSocket URL', placeholder: 'wss://bot.example.com/media', help: 'Empty for a built-in bot.' },
    { name: 'protocol', label: 'Protocol (dialect)', type: 'select', options: BOT_PROTOCOLS, placeholder: 'native (default)' },
    { name: 'sampleRate', label: 'Sample rate (Hz)', type: 'number', placeholder: 'the protocol\'s default', help: '8000, 16000 or 24000 as the protocol allows.' },
    { name: 'builtin', label: 'Built-in bot', type: 'select', options: ['echo'], placeholder: '(none: a WebSocket bot)' },
  ];
  return html`<${ResourcePage} title="Bots" resource="bots" role=${me.role} fields=${fields}
    intro="Where calls go: a WebSocket bot and the protocol it speaks. Headers and the signing secret are write-only: the bridge never shows them again."
    Extra=${BotSecrets} extraFields=${['headers', 'secret']}
    initExtra=${() => ({ headers: '', secret: '', clearHeaders: false, clearSecret: false })}
    bodyExtra=${(values, isNew) => writeOnlyBody(values, !isNew)}
    columns=${[
      { label: 'Name', get: (b) => b.name },
      { label: 'URL', get: (b) => b.url ?? (b.builtin ? `built-in: ${b.builtin}` : '—') },
      { label: 'Protocol', get: (b) => b.protocol ?? (b.url ? 'native' : '—') },
      { label: 'Sample rate', get: (b) => b.sampleRate ?? 'default' },
      { label: 'Headers / secret', get: (b) => (Array.isArray(b.secretsSet) && b.secretsSet.length > 0 ? `${b.secretsSet.join(', ')} set` : '—') },
    ]}
    rowActions=${(b) => (canCheck && b.url ? html` <button onClick=${() => runCheck(b)} disabled=${check.running} aria-label=${`Check bot ${b.name}`}>Check this bot</button>` : null)} />
    ${checked !== undefined
      ? html`<section aria-labelledby="bot-check-title"><h3 id="bot-check-title">Bot check: ${checked}</h3><${ToolSteps} run=${check} id="bot-check" /></section>`
      : null}`;
}

export function TransfersPage({ me }) {
  const fields = [
    { name: 'name', label: 'Name', required: true },
    { name: 'number', label: 'Number', placeholder: '+15550123', help: 'With an outbound trunk; or give a URI instead.' },
    { name: 'trunk', label: 'Outbound trunk (with a number)' },
    { name: 'uri', label: 'SIP URI', placeholder: 'sip:desk@pbx.example.com' },
    { name: 'method', label: 'Method', type: 'select', options: ['bridge', 'refer'], placeholder: 'bridge (default)' },
    { name: 'callerId', label: 'Caller ID on the new leg', type: 'select', options: ['caller', 'trunk'], placeholder: 'caller (default)' },
    { name: 'ringTimeoutSec', label: 'Ring timeout (s)', type: 'number', placeholder: '30' },
  ];
  return html`<${ResourcePage} title="Transfer destinations" resource="transfer-destinations" role=${me.role} fields=${fields}
    intro="Named places a bot may transfer a call to."
    columns=${[
      { label: 'Name', get: (d) => d.name },
      { label: 'Goes to', get: (d) => d.uri ?? `${d.number ?? ''} via ${d.trunk ?? '?'}` },
      { label: 'Method', get: (d) => d.method ?? 'bridge' },
    ]} />`;
}

/** Registration states as the event stream tells them (GET /v1/events): `{}` until its snapshot, or with no stream. */
function useRegistrationStates() {
  const [states, setStates] = useState({});
  const [status, setStatus] = useState('connecting');
  useEffect(() => {
    const stop = new AbortController();
    followEventStream({
      open: openEventStream,
      signal: stop.signal,
      onEvent: (event, data) => setStates((s) => applyRegistrationEvent(s, event, data)),
      onStatus: (state) => setStatus(state),
    });
    return () => stop.abort();
  }, []);
  return { states, status };
}

const STREAM_TEXT = {
  connecting: 'Connecting to the event stream…',
  live: 'States update as they change.',
  reconnecting: 'The event stream dropped: reconnecting (states as last told)…',
  unsupported: 'This bridge has no event stream: states as loaded.',
  refused: 'The event stream refused this key: states as loaded.',
};

export function RegistrationsPage({ me }) {
  const { states, status } = useRegistrationStates();
  const fields = [
    { name: 'name', label: 'Name', required: true },
    { name: 'server', label: 'Registrar (host)', required: true },
    { name: 'port', label: 'Port', type: 'number', placeholder: '5060' },
    { name: 'transport', label: 'Transport', type: 'select', options: ['udp', 'tcp', 'tls'], placeholder: 'udp (default)' },
    { name: 'domain', label: 'AOR domain', placeholder: 'the registrar' },
    { name: 'username', label: 'Username', required: true },
    { name: 'password', label: 'Password', type: 'password', help: 'Write-only: leave empty to keep the stored one.' },
    { name: 'extension', label: 'Extension', placeholder: 'the username' },
    { name: 'expires', label: 'Expires (s)', type: 'number', placeholder: '300' },
    { name: 'bot', label: 'Bot for calls to it', required: true },
  ];
  return html`<${ResourcePage} title="Registrations" resource="registrations" role=${me.role} fields=${fields}
    intro=${html`PBX extensions this bridge registers as; calls to them go to their bot.
      <span class="help" id="registration-stream" data-state=${status}>${STREAM_TEXT[status]}</span>`}
    columns=${[
      { label: 'Name', get: (r) => r.name },
      { label: 'Registrar', get: (r) => `${r.server}:${r.port ?? 5060} (${r.transport ?? 'udp'})` },
      { label: 'User', get: (r) => r.username },
      { label: 'Bot', get: (r) => r.bot },
      { label: 'State', get: (r) => {
        const { state } = registrationRow(r, states);
        return html`<span data-state=${state} data-registration=${r.name}>${state ?? '—'}</span>`;
      } },
      // In a cluster, the node running each registration (its lease holder); a single node has no such column.
      { label: 'Node', when: (r) => registrationRow(r, states).node !== undefined, get: (r) => html`<span data-node=${r.name}>${registrationRow(r, states).node ?? '—'}</span>` },
    ]}
    rowActions=${(r, reload) => (me.role === 'admin' ? html` <button onClick=${async () => { await refreshRegistration(r.name).catch(() => undefined); await reload(); }}
      aria-label=${`Register ${r.name} now`}>Register now</button>` : null)} />`;
}
