// Live calls (GET /v1/calls): polled every second through listLiveCalls (the one function that knows how calls are listed);
// an operate or admin key may hang a call up from its row.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { hangupCall, listLiveCalls } from '../api.js';

const POLL_MS = 1000;

const fmtDuration = (s) => (typeof s === 'number' ? `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}` : '—');
const pct = (v) => (typeof v === 'number' ? `${v.toFixed(2)} %` : '—');
const num = (v, unit = '') => (typeof v === 'number' ? `${Math.round(v * 10) / 10}${unit}` : '—');

export function CallsPage({ me }) {
  const [state, setState] = useState({ supported: true, calls: undefined });
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const canHangup = me.role === 'operate' || me.role === 'admin';

  useEffect(() => {
    let stopped = false;
    let timer;
    const tick = async () => {
      try {
        const next = await listLiveCalls();
        if (!stopped) {
          setState(next);
          setError('');
        }
      } catch (err) {
        if (!stopped) setError(err.message);
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  const hangup = async (c) => {
    try {
      await hangupCall(c.callId);
      setNotice(`Hung up ${c.from ?? ''} → ${c.to ?? c.callId}.`);
    } catch (err) {
      setError(`${c.callId}: ${err.message}`);
    }
  };

  const calls = state.calls;
  return html`<section aria-labelledby="page-title">
    <h2 id="page-title">Live calls</h2>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    ${!state.supported
      ? html`<p>This bridge does not list live calls (its API has no <code>GET /v1/calls</code>).</p>`
      : calls === undefined
        ? html`<p>Loading…</p>`
        : calls.length === 0
          ? html`<p>No calls right now. This list updates by itself.</p>`
          : html`<table aria-live="polite">
              <caption class="sr-only">Live calls, updated every second</caption>
              <thead><tr>
                <th scope="col">From</th><th scope="col">To</th><th scope="col">Trunk</th><th scope="col">Bot</th><th scope="col">State</th>
                <th scope="col">Duration</th><th scope="col">Codec</th><th scope="col">Packets in / out</th><th scope="col">Loss</th><th scope="col">Jitter</th>
                <th scope="col">RTT</th><th scope="col">MOS</th><th scope="col"><span class="sr-only">Actions</span></th>
              </tr></thead>
              <tbody>
                ${calls.map((c) => {
                  // The caller's leg as GET /v1/calls reports it (calls/call.ts LiveMediaStats).
                  const m = c.media ?? {};
                  return html`<tr data-call-id=${c.callId}>
                    <td>${c.from ?? '—'}</td><td>${c.to ?? '—'}</td><td>${c.trunk ?? '—'}</td><td>${c.bot ?? '—'}</td><td>${c.state ?? '—'}</td>
                    <td>${fmtDuration(c.durationSec)}</td><td>${c.codec ?? '—'}</td>
                    <td data-packets>${num(m.packetsReceived)} / ${num(m.packetsSent)}</td><td>${pct(m.lossPercent)}</td>
                    <td>${num(m.jitterMs, ' ms')}</td><td>${num(m.rttMs, ' ms')}</td><td>${num(m.mos)}</td>
                    <td>${canHangup ? html`<button class="danger" onClick=${() => hangup(c)} aria-label=${`Hang up the call from ${c.from ?? c.callId}`}>Hang up</button>` : null}</td>
                  </tr>`;
                })}
              </tbody>
            </table>`}
  </section>`;
}
