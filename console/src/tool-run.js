// One run of a bridge tool (test call, bot check) as the pages show it: the steps as they stream in, then
// PASS or FAIL. The run stops (and the bridge ends the call or the bot socket) when the page goes away.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { ApiError, runTool } from './api.js';

/** State and controls of one tool run; `start` resolves with the field issues of a 400 ({} otherwise). */
export function useToolRun() {
  const [steps, setSteps] = useState([]);
  const [result, setResult] = useState(undefined);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState('');
  const stop = useRef(undefined);
  useEffect(() => () => stop.current?.abort(), []);
  const start = async (path, body) => {
    setSteps([]);
    setResult(undefined);
    setError('');
    setRunning(true);
    stop.current = new AbortController();
    try {
      setResult(await runTool(path, body, (line) => setSteps((s) => [...s, line]), stop.current.signal));
      return [];
    } catch (err) {
      if (err.name === 'AbortError') return [];
      if (err instanceof ApiError && err.issues.length > 0) return err.issues;
      setError(err.message);
      return [];
    } finally {
      setRunning(false);
    }
  };
  return { steps, result, running, error, setError, start, stop: () => stop.current?.abort() };
}

/** The steps list and the verdict; `id` prefixes the elements' ids (`${id}-steps`, `${id}-result`). */
export function ToolSteps({ run, id }) {
  return html`
    ${run.error ? html`<p class="error" role="alert">${run.error}</p>` : null}
    ${run.steps.length > 0 || run.running
      ? html`<ol class="steps" id=${`${id}-steps`} aria-live="polite" aria-busy=${run.running ? 'true' : 'false'}>
          ${run.steps.map((s) => html`<li>${s}</li>`)}
        </ol>`
      : null}
    ${run.result
      ? html`<p id=${`${id}-result`} role="status" class=${run.result.result === 'pass' ? 'notice' : 'error'}>
          ${run.result.result === 'pass' ? 'PASS' : `FAIL (exit code ${run.result.exitCode})`}</p>`
      : null}`;
}
