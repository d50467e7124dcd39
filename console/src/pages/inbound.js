// Inbound trunks: who may send us calls (IPs/CIDRs/hosts, SIP users), and each number (DID) to exactly one bot.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { ApiError, createItem, deleteItem, listItems, putItem } from '../api.js';
import { ResourcePage } from '../resource-page.js';
import { carrierText, passwordAdvice } from '../carrier.js';

const fields = (bots) => [
  { name: 'name', label: 'Name', required: true },
  { name: 'allow', label: 'Allowed IPs, CIDRs or host names', type: 'list', placeholder: '203.0.113.10\n198.51.100.0/24', help: 'One per line. The carrier\'s signalling addresses; empty: SIP users only.' },
  { name: 'digestAlgorithms', label: 'Digest algorithms, most preferred first', type: 'list', placeholder: 'SHA-256\nMD5', help: 'Some carriers answer only the first challenge offered: put MD5 first for those.' },
  { name: 'domain', label: 'SIP domain', help: 'INVITEs to this domain belong to this trunk.' },
  { name: 'country', label: 'Country (ISO 3166, e.g. US)', help: 'National numbers dialled on this trunk are read as this country\'s.' },
  { name: 'routingHeader', label: 'Routing header', help: 'A header naming the bot for the call (e.g. X-Agent-ID), checked before numbers.' },
  { name: 'mode', label: 'Mode', type: 'select', options: ['flow', 'pstn'], placeholder: 'flow (default)', help: 'flow: calls go to a bot; pstn: calls are forwarded without a bot.' },
  { name: 'bot', label: 'Bot for numbers not listed', type: 'select', options: bots, placeholder: '(none)' },
  { name: 'forwardTo.uri', label: 'pstn mode: forward to (SIP URI)', placeholder: 'sip:pbx.example.com' },
];

/** SIP users and numbers: parts of the trunk form that are lists of rows. */
function TrunkExtra({ values, setValue, errors, bots, canEdit }) {
  const users = values.credentials;
  const numbers = values.numbers;
  const setRow = (key, list, i, patch) => setValue(key, list.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return html`
    <fieldset class="field" aria-describedby=${errors.credentials ? 'f-credentials-err' : undefined}>
      <legend><strong>SIP users (digest)</strong></legend>
      <div class="rows">
        ${users.map((u, i) => html`<div class="row">
          <label class="sr-only" for=${`user-${i}`}>Username ${i + 1}</label>
          <input id=${`user-${i}`} placeholder="username" value=${u.username} onInput=${(e) => setRow('credentials', users, i, { username: e.currentTarget.value })} />
          <label class="sr-only" for=${`pass-${i}`}>Password ${i + 1}</label>
          <input id=${`pass-${i}`} type="password" autocomplete="new-password" placeholder=${u.stored ? '(unchanged)' : 'password'} value=${u.password}
            aria-describedby=${`pass-${i}-advice`} onInput=${(e) => setRow('credentials', users, i, { password: e.currentTarget.value })} />
          <span id=${`pass-${i}-advice`} class="help">${passwordAdvice(u.password, u.stored)}</span>
          ${canEdit ? html`<button type="button" class="danger" aria-label=${`Remove user ${u.username || i + 1}`} onClick=${() => setValue('credentials', users.filter((_, j) => j !== i))}>Remove</button>` : null}
        </div>`)}
      </div>
      ${canEdit ? html`<button type="button" onClick=${() => setValue('credentials', [...users, { username: '', password: '' }])}>Add SIP user</button>` : null}
      ${errors.credentials ? html`<div class="error" id="f-credentials-err" role="alert" data-field="credentials">${errors.credentials}</div>` : null}
    </fieldset>
    <fieldset class="field">
      <legend><strong>Numbers (DIDs), each to one bot</strong></legend>
      <div class="rows">
        ${numbers.map((n, i) => html`<div class="row">
          <label class="sr-only" for=${`num-${i}`}>Number ${i + 1}</label>
          <input id=${`num-${i}`} placeholder="+15550100" value=${n.number} readonly=${n.stored} onInput=${(e) => setRow('numbers', numbers, i, { number: e.currentTarget.value })} />
          <label class="sr-only" for=${`numbot-${i}`}>Bot for number ${i + 1}</label>
          <select id=${`numbot-${i}`} value=${n.bot} onChange=${(e) => setRow('numbers', numbers, i, { bot: e.currentTarget.value })}>
            <option value="">(choose a bot)</option>
            ${bots.map((b) => html`<option value=${b}>${b}</option>`)}
          </select>
          ${canEdit ? html`<button type="button" class="danger" aria-label=${`Remove number ${n.number || i + 1}`} onClick=${() => setValue('numbers', numbers.filter((_, j) => j !== i))}>Remove</button>` : null}
        </div>`)}
      </div>
      ${canEdit ? html`<button type="button" onClick=${() => setValue('numbers', [...numbers, { number: '', bot: '' }])}>Add number</button>` : null}
      ${errors.numbers ? html`<div class="error" role="alert" data-field="numbers">${errors.numbers}</div>` : null}
    </fieldset>`;
}

/** The carrier's text with a Copy button: outside the form's fieldset, so a read key can copy it too. */
function CarrierPart({ values, sip }) {
  return html`<h3 id="carrier-title">What to give the carrier</h3>
    <pre class="carrier" aria-labelledby="carrier-title" id="carrier-text">${carrierText(values, sip, location.hostname)}</pre>
    <button type="button" onClick=${() => copy(carrierText(values, sip, location.hostname))}>Copy</button>`;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard refused (not a secure context): select the text so the user can copy it by hand.
    const pre = document.getElementById('carrier-text');
    if (pre) window.getSelection()?.selectAllChildren(pre);
  }
}

/** Adds, changes and removes the trunk's numbers after the trunk itself is saved (they are /v1/numbers items). */
async function saveNumbers(trunk, rows, before) {
  const wanted = rows.filter((r) => r.number.trim() !== '');
  const problems = [];
  for (const r of wanted) {
    const number = r.number.trim();
    const had = before.find((b) => b.number === number);
    try {
      const body = { trunk, ...(r.bot ? { bot: r.bot } : {}) };
      if (had) {
        if (had.bot !== r.bot) await putItem('numbers', number, { number, ...body });
      } else await createItem('numbers', { number, ...body });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      problems.push(err.issues.length > 0 ? err.issues.map((i) => `${number}: ${i.field ? `${i.field}: ` : ''}${i.message}`).join('; ') : `${number}: ${err.message}`);
    }
  }
  for (const b of before) {
    if (wanted.some((r) => r.number.trim() === b.number)) continue;
    try {
      await deleteItem('numbers', b.number);
    } catch (err) {
      problems.push(`${b.number}: ${err.message}`);
    }
  }
  if (problems.length > 0) throw new ApiError(400, { message: 'numbers', issues: problems.map((m) => ({ field: 'numbers', message: m })) });
}

export function InboundPage({ me }) {
  const [bots, setBots] = useState([]);
  const [numbers, setNumbers] = useState([]);
  const loadNumbers = async () => {
    const list = await listItems('numbers');
    setNumbers(list);
    return list;
  };
  useEffect(() => {
    listItems('bots').then((b) => setBots(b.map((x) => x.name)), () => setBots([]));
    loadNumbers().catch(() => setNumbers([]));
  }, []);
  const f = fields(bots);
  return html`<${ResourcePage} title="Inbound trunks" resource="inbound-trunks" role=${me.role} fields=${f} extraFields=${['credentials', 'numbers']}
    intro="Calls from carriers: who may send them, and which bot answers each number."
    columns=${[
      { label: 'Name', get: (t) => t.name },
      { label: 'Allowed', get: (t) => (t.allow ?? []).join(', ') || '—' },
      { label: 'SIP users', get: (t) => (t.credentials ?? []).map((c) => c.username).join(', ') || '—' },
      { label: 'Numbers', get: (t) => numbers.filter((n) => n.trunk === t.name).map((n) => `${n.number} → ${n.bot ?? n.mode ?? ''}`).join(', ') || '—' },
      { label: 'Mode', get: (t) => t.mode ?? 'flow' },
      { label: 'Bot', get: (t) => t.bot ?? '—' },
    ]}
    initExtra=${async (item) => {
      const all = await loadNumbers();
      return {
        credentials: (item?.credentials ?? []).map((c) => ({ username: c.username, password: '', stored: true })),
        numbers: item ? all.filter((n) => n.trunk === item.name).map((n) => ({ number: n.number, bot: n.bot ?? '', stored: true })) : [],
      };
    }}
    bodyExtra=${(values) => ({
      // Passwords left empty are not sent: the API keeps the stored one for that username.
      credentials: values.credentials.filter((c) => c.username.trim() !== '').map((c) => (c.password ? { username: c.username.trim(), password: c.password } : { username: c.username.trim() })),
    })}
    afterSave=${async (key, values) => {
      await saveNumbers(key, values.numbers, numbers.filter((n) => n.trunk === key));
      await loadNumbers();
    }}
    Extra=${(p) => html`<${TrunkExtra} ...${p} bots=${bots} />`}
    After=${(p) => html`<${CarrierPart} ...${p} sip=${me.sip ?? []} />`} />`;
}
