// Call history (GET /v1/call-records): the CDRs newest first, filtered by trunk, number and result, with each
// call's SIP outcome and quality; a recorded call plays in the page; "Load more" fetches the next page.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { ApiError, listCallRecords, recordingObjectUrl } from '../api.js';
import { Field } from '../field.js';
import { issuesByField } from '../form-values.js';

const FIELDS = [
  { name: 'trunk', label: 'Trunk', placeholder: 'any trunk' },
  { name: 'number', label: 'Number (from or to)', placeholder: '+15550100' },
  { name: 'result', label: 'Result', type: 'select', options: ['answered', 'unanswered', '404', '480', '486', '487', '488', '503'], placeholder: 'any result' },
];
const PAGE = 25;

const time = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
const figure = (v, unit = '') => (v === null || v === undefined ? '—' : `${v}${unit}`);

/**
 * "MOS 4.39 in / 4.4 out; lost 2 / 0; jitter 1.3 / 1.1 ms" (in: what we received, out: what the far end
 * reported of ours); just the "in" figures when the far end sent no RTCP report.
 */
function quality(q) {
  if (!q) return '—';
  const s = q.sent;
  if (s.mos === null && s.packetsLost === null && s.jitterMs === null) {
    return `MOS ${figure(q.received.mos)} in; lost ${figure(q.received.packetsLost)}; jitter ${figure(q.received.jitterMs, ' ms')} (no RTCP report back)`;
  }
  return `MOS ${figure(q.received.mos)} in / ${figure(s.mos)} out; lost ${figure(q.received.packetsLost)} / ${figure(s.packetsLost)}; jitter ${figure(q.received.jitterMs)} / ${figure(s.jitterMs, ' ms')}`;
}

/** The recording's player: fetched (with the key) when asked, then an <audio> with its controls. */
function Recording({ record }) {
  const [src, setSrc] = useState(undefined);
  const [error, setError] = useState('');
  const url = useRef(undefined);
  useEffect(() => () => url.current && URL.revokeObjectURL(url.current), []);
  if (!record.recordingUrl) return '—';
  const load = async () => {
    setError('');
    try {
      url.current = await recordingObjectUrl(record.recordingUrl);
      setSrc(url.current);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? 'the file is gone (retention)' : err.message);
    }
  };
  if (src) return html`<audio controls src=${src} data-recording=${record.callId} aria-label=${`Recording of ${record.from} to ${record.to}`}></audio>`;
  return html`<button onClick=${load} aria-label=${`Play the recording of call ${record.callId}`}>Play</button>${error ? html` <span class="error" role="alert">${error}</span>` : null}`;
}

export function HistoryPage() {
  const [values, setValues] = useState({ trunk: '', number: '', result: '' });
  const [applied, setApplied] = useState(values);
  const [items, setItems] = useState(undefined);
  const [next, setNext] = useState(null);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);

  const load = async (filters, cursor) => {
    setBusy(true);
    setErrors({});
    try {
      const page = await listCallRecords({ ...filters, limit: PAGE }, cursor);
      setItems((old) => (cursor ? [...(old ?? []), ...page.items] : page.items));
      setNext(page.nextCursor);
      setApplied(filters);
    } catch (err) {
      if (err instanceof ApiError && err.issues.length > 0) setErrors(issuesByField(err.issues, FIELDS.map((f) => f.name)));
      else setErrors({ '': err.message });
      if (!cursor) setItems([]);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    load(values, undefined);
  }, []);

  const submit = (e) => {
    e.preventDefault();
    load(values, undefined);
  };

  return html`<section aria-labelledby="page-title">
    <h2 id="page-title">Call history</h2>
    <p>Every call's record (CDR), newest first: how it ended and how it sounded. In: the caller's audio as the bridge got it; out: the bridge's as the far end reported it.</p>
    <form class="edit tool filters" onSubmit=${submit} aria-label="Filter the call history">
      <fieldset>
        ${FIELDS.map((f) => html`<${Field} field=${f} value=${values[f.name]} error=${errors[f.name]} onInput=${(v) => setValues((o) => ({ ...o, [f.name]: v }))} />`)}
      </fieldset>
      <div class="actions"><button class="primary" type="submit" disabled=${busy}>Filter</button></div>
    </form>
    ${errors[''] ? html`<p class="error" role="alert">${errors['']}</p>` : null}
    ${items === undefined ? html`<p>Loading…</p>` : items.length === 0 ? html`<p id="history-empty">No calls match.</p>` : html`<table id="history">
      <caption class="sr-only">Calls, newest first</caption>
      <thead><tr>${['Ended', 'Direction', 'Trunk', 'From → to', 'SIP outcome', 'Duration', 'Codec', 'Quality', 'Recording'].map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${items.map((r) => html`<tr data-call-id=${r.callId}>
        <td>${time(r.endedAt)}</td>
        <td>${r.direction}</td>
        <td>${r.trunk ?? '—'}</td>
        <td>${r.from} → ${r.to}</td>
        <td data-outcome>${r.sipStatus} ${r.endReason}${r.endedBy ? ` (ended by ${r.endedBy})` : ''}</td>
        <td>${r.durationSec} s</td>
        <td>${r.codec ?? '—'}</td>
        <td data-quality>${quality(r.quality)}</td>
        <td><${Recording} record=${r} /></td>
      </tr>`)}</tbody>
    </table>`}
    ${next ? html`<button onClick=${() => load(applied, next)} disabled=${busy}>Load more</button>` : null}
  </section>`;
}
