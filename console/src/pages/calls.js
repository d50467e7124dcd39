// Live calls: the bridge's event stream (GET /v1/events) keeps the table current — calls appear when answered,
// their figures and level meters move each second, they go when they end. The stream reconnects by itself with
// backoff; a bridge without it is polled (GET /v1/calls) instead. An operate or admin key may hang a call up or
// transfer it from its row. In a cluster every node's calls are listed, each with its node (another node's calls
// show no media figures; their commands are forwarded to their node by the API).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { ApiError, hangupCall, listLiveCalls, openEventStream, transferCall } from '../api.js';
import { applyLiveEvent, meterPercent, meterValue, METER_FLOOR_DBFS } from '../live-calls.js';
import { followEventStream } from '../live-stream.js';

const POLL_MS = 1000;

const fmtDuration = (s) => (typeof s === 'number' ? `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}` : '—');
const pct = (v) => (typeof v === 'number' ? `${v.toFixed(2)} %` : '—');
const num = (v, unit = '') => (typeof v === 'number' ? `${Math.round(v * 10) / 10}${unit}` : '—');
const STATUS_TEXT = {
  connecting: 'Connecting to the event stream…',
  live: 'Live: updates as they happen.',
  reconnecting: 'The event stream dropped: reconnecting…',
  unsupported: 'This bridge has no event stream: polling every second.',
  refused: 'The event stream refused this key.',
};

/** Keeps the call list from the event stream, or from polling when the bridge has no stream. */
function useLiveCalls() {
  const [calls, setCalls] = useState(undefined);
  const [status, setStatus] = useState({ state: 'connecting', detail: '' });
  const [supported, setSupported] = useState(true);
  const [error, setError] = useState('');

  useEffect(() => {
    const stop = new AbortController();
    let timer;
    const poll = async () => {
      try {
        const next = await listLiveCalls();
        if (stop.signal.aborted) return;
        setSupported(next.supported);
        setCalls(next.calls);
        setError('');
      } catch (err) {
        if (!stop.signal.aborted) setError(err.message);
      }
      if (!stop.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    followEventStream({
      open: openEventStream,
      signal: stop.signal,
      onEvent: (event, data) => setCalls((list) => applyLiveEvent(list ?? [], event, data)),
      onStatus: (state, detail = '') => {
        setStatus({ state, detail });
        // No stream (an older bridge), or the stream refused the key: the list is polled, which shows any API error.
        if (state === 'unsupported' || state === 'refused') poll();
      },
    });
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, []);
  return { calls, status, supported, error, setError };
}

/** One direction's level: an ARIA meter (value in dBFS) drawn as a bar, with the figure beside it. */
function Level({ dbfs, label, name }) {
  const value = meterValue(dbfs);
  const text = value === undefined ? 'no figure' : dbfs <= METER_FLOOR_DBFS ? 'silence' : `${num(dbfs)} dBFS`;
  return html`<div class="level">
    <span class="meter" role="meter" aria-label=${label} data-level=${name} aria-valuemin=${METER_FLOOR_DBFS} aria-valuemax="0"
      aria-valuenow=${value ?? METER_FLOOR_DBFS} aria-valuetext=${text}><span style=${{ width: `${meterPercent(dbfs)}%` }}></span></span>
    <span class="db" aria-hidden="true">${value === undefined ? '—' : dbfs <= METER_FLOOR_DBFS ? '—' : num(dbfs)}</span>
  </div>`;
}

/** The transfer form under a call's row: where to, and how (the bridge's default, REFER or bridge). */
function TransferForm({ call, onDone, onCancel }) {
  const [to, setTo] = useState('');
  const [method, setMethod] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const id = `transfer-${call.callId}`;
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const result = await transferCall(call.callId, { to: to.trim(), ...(method ? { method } : {}) });
      onDone(`Transfer of ${call.from ?? call.callId} to ${to.trim()}: ${result.status}.`);
    } catch (err) {
      const issue = err instanceof ApiError ? err.issues.find((i) => i.field === 'to' || i.field === 'method') : undefined;
      setError(issue ? issue.message : err instanceof ApiError && err.body?.status === 'failed' ? `failed: ${err.body.reason ?? 'refused'}` : err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="transfer" onSubmit=${submit} aria-label=${`Transfer the call from ${call.from ?? call.callId}`}>
    <div class="field">
      <label for=${`${id}-to`}>Transfer to</label>
      <input id=${`${id}-to`} value=${to} required placeholder="a destination name, +15550123 or sip:agent@pbx.example" onInput=${(e) => setTo(e.currentTarget.value)}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? `${id}-err` : undefined} />
      ${error ? html`<div class="error" id=${`${id}-err`} role="alert" data-field="to">${error}</div>` : null}
    </div>
    <div class="field">
      <label for=${`${id}-method`}>Method</label>
      <select id=${`${id}-method`} value=${method} onChange=${(e) => setMethod(e.currentTarget.value)}>
        <option value="">(the destination's)</option><option value="refer">refer (SIP REFER)</option><option value="bridge">bridge (a new call, joined)</option>
      </select>
    </div>
    <div class="actions"><button class="primary" type="submit" disabled=${busy}>Transfer</button><button type="button" onClick=${onCancel}>Cancel</button></div>
  </form>`;
}

export function CallsPage({ me }) {
  const { calls, status, supported, error, setError } = useLiveCalls();
  const [notice, setNotice] = useState('');
  const [transferring, setTransferring] = useState(undefined);
  const canAct = me.role === 'operate' || me.role === 'admin';
  const clustered = (calls ?? []).some((c) => typeof c.node === 'string');

  const hangup = async (c) => {
    try {
      await hangupCall(c.callId);
      setNotice(`Hung up ${c.from ?? ''} → ${c.to ?? c.callId}.`);
    } catch (err) {
      setError(`${c.callId}: ${err.message}`);
    }
  };

  return html`<section aria-labelledby="page-title">
    <h2 id="page-title">Live calls</h2>
    <p class="help" id="stream-status" data-state=${status.state}>${STATUS_TEXT[status.state]}${status.detail && status.state === 'reconnecting' ? ` (${status.detail})` : ''}</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    ${!supported
      ? html`<p>This bridge does not list live calls (its API has no <code>GET /v1/calls</code>).</p>`
      : calls === undefined
        ? html`<p>Loading…</p>`
        : calls.length === 0
          ? html`<p>No calls right now. This list updates by itself.</p>`
          : html`<table class="calls">
              <caption class="sr-only">Live calls, updated as they happen</caption>
              <thead><tr>
                ${clustered ? html`<th scope="col">Node</th>` : null}<th scope="col">From</th><th scope="col">To</th><th scope="col">Trunk</th><th scope="col">Bot</th><th scope="col">State</th>
                <th scope="col">Duration</th><th scope="col">Codec</th><th scope="col">Packets in / out</th><th scope="col">Loss</th><th scope="col">Jitter</th>
                <th scope="col">MOS</th><th scope="col">Level caller → bot</th><th scope="col">Level bot → caller</th><th scope="col"><span class="sr-only">Actions</span></th>
              </tr></thead>
              <tbody>
                ${calls.map((c) => {
                  // The caller's leg as the API reports it (calls/call.ts LiveMediaStats and LiveLevels).
                  const m = c.media ?? {};
                  const who = c.from ?? c.callId;
                  return html`<tr data-call-id=${c.callId} data-node=${c.node}>
                    ${clustered ? html`<td>${c.node ?? '—'}</td>` : null}<td>${c.from ?? '—'}</td><td>${c.to ?? '—'}</td><td>${c.trunk ?? '—'}</td><td>${c.bot ?? '—'}</td><td>${c.state ?? '—'}</td>
                    <td>${fmtDuration(c.durationSec)}</td><td>${c.codec ?? '—'}</td>
                    <td data-packets>${num(m.packetsReceived)} / ${num(m.packetsSent)}</td><td>${pct(m.lossPercent)}</td>
                    <td>${num(m.jitterMs, ' ms')}</td><td>${num(m.mos)}</td>
                    <td><${Level} dbfs=${c.levels?.callerToBot} name="callerToBot" label=${`Level from the caller ${who} to the bot`} /></td>
                    <td><${Level} dbfs=${c.levels?.botToCaller} name="botToCaller" label=${`Level from the bot to the caller ${who}`} /></td>
                    <td class="row-actions">${canAct
                      ? html`<button class="danger" onClick=${() => hangup(c)} aria-label=${`Hang up the call from ${who}`}>Hang up</button>
                          <button onClick=${() => setTransferring(transferring === c.callId ? undefined : c.callId)} aria-expanded=${transferring === c.callId ? 'true' : 'false'}
                            aria-label=${`Transfer the call from ${who}`}>Transfer</button>`
                      : null}</td>
                  </tr>
                  ${transferring === c.callId
                    ? html`<tr class="transfer-row"><td colspan=${clustered ? 15 : 14}><${TransferForm} call=${c} onCancel=${() => setTransferring(undefined)}
                        onDone=${(text) => { setTransferring(undefined); setNotice(text); }} /></td></tr>`
                    : null}`;
                })}
              </tbody>
            </table>`}
  </section>`;
}
