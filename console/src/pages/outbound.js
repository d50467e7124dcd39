// Outbound trunks, with a live preview of how a number is sent (the bridge's own number-format code).
import { html } from '../html.js';
import { useState } from 'preact/hooks';
import { ResourcePage } from '../resource-page.js';
import { previewText } from '../number-preview.js';

const fields = [
  { name: 'name', label: 'Name', required: true },
  { name: 'host', label: 'Host', placeholder: 'sip.carrier.example', help: 'Or give a Vida route string below instead of host/port/transport/proxy.' },
  { name: 'port', label: 'Port', type: 'number', placeholder: '5060' },
  { name: 'transport', label: 'Transport', type: 'select', options: ['udp', 'tcp', 'tls'], placeholder: 'udp (default)' },
  { name: 'proxy', label: 'Outbound proxy (host[:port])' },
  { name: 'route', label: 'Route string', placeholder: 'host:5060;transport=tcp;proxyAddress=proxy' },
  { name: 'auth.username', label: 'Digest username', help: 'Empty: IP authentication.' },
  { name: 'auth.password', label: 'Digest password', type: 'password', help: 'Write-only: leave empty to keep the stored one.' },
  { name: 'callerId', label: 'Caller ID', placeholder: '+15550100' },
  { name: 'numberFormat', label: 'Number format', type: 'select', options: ['e164', 'e164-no-plus', 'national'], placeholder: 'e164 (default)' },
  { name: 'country', label: 'Country (ISO 3166, e.g. US)' },
];

function Preview({ values }) {
  const [sample, setSample] = useState('+1 202 555 0123');
  return html`<div class="field">
    <label for="preview-number">Try a number</label>
    <input id="preview-number" value=${sample} onInput=${(e) => setSample(e.currentTarget.value)} aria-describedby="preview-out" />
    <p><output id="preview-out" class="preview" for="preview-number f-numberFormat f-country" aria-live="polite">${previewText(sample, values)}</output></p>
  </div>`;
}

export function OutboundPage({ me }) {
  return html`<${ResourcePage} title="Outbound trunks" resource="outbound-trunks" role=${me.role} fields=${fields}
    intro="Carriers that place the calls bots and transfers make."
    columns=${[
      { label: 'Name', get: (t) => t.name },
      { label: 'Host', get: (t) => t.route ?? `${t.host}:${t.port ?? 5060}` },
      { label: 'Transport', get: (t) => t.transport ?? 'udp' },
      { label: 'Auth', get: (t) => (t.auth ? `digest (${t.auth.username})` : 'IP') },
      { label: 'Number format', get: (t) => t.numberFormat ?? 'e164' },
    ]}
    Extra=${Preview} />`;
}
