/**
 * The web console's pages and forms (/console) in a real headless browser (Debian's chromium driven by
 * puppeteer-core) against the real bridge process, with SIPp as the carrier:
 *  - sign in with an admin key; a bot and an inbound trunk with a number are created through the forms, and the
 *    API then has them; a SIPp call to that number is answered by that bot;
 *  - a bad CIDR shows the API's own message next to the "allow" field, and nothing is stored; a number another
 *    trunk owns shows the API's 409; the outbound trunk form previews how a number is sent;
 *  - a `read` key sees every page but no New / Edit / Delete / Save / Run / Check button;
 *  - each page is saved as a screenshot (harness/console-session.ts says where).
 * Live calls, the test call and the bot check: web-console-calls.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import type { BridgeProcess } from './harness/bridge-process.js';
import type { RtpListener } from './harness/rtp-listener.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { ConsoleSession, KEYS, NUMBER } from './harness/console-session.js';

const session = new ConsoleSession();
const { base, api, clickButton, type, select, saved, textOf, go, signIn, shot } = session;
let bridge: BridgeProcess;
let listener: RtpListener;
let page: Page;
let pageProblems: string[];

beforeAll(async () => {
  await session.start();
  ({ bridge, listener, page, pageProblems } = session);
}, 60_000);

afterAll(() => session.close());

describe('web console: pages and forms', () => {
  it('serves the page and its bundle from the package, same-origin only', async () => {
    const res = await fetch(`${base()}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain('src="app.js"');
    const js = await fetch(`${base()}/console/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${base()}/console/nope.js`)).status).toBe(404);
  });

  it('signs in with an admin key and shows the role', async () => {
    await page.goto(`${base()}/console/`);
    await page.waitForSelector('#api-key');
    await shot('sign-in');
    await page.type('#api-key', 'not-a-key-of-this-bridge');
    await clickButton('Sign in');
    expect(await textOf('#api-key-err')).toContain('not known');
    // By keyboard: the key field, then Enter submits the form.
    await page.$eval('#api-key', (e) => ((e as HTMLInputElement).value = ''));
    await page.reload();
    await type('#api-key', KEYS.admin);
    await page.keyboard.press('Enter');
    expect(await textOf('header .who')).toContain('root (role admin)');
  });

  it('creates a bot and an inbound trunk with a number through the forms; a SIPp call to it is answered', async () => {
    await go('#/bots', 'Bots');
    await clickButton('New');
    await type('#f-name', 'console-echo');
    await select('#f-builtin', 'echo');
    await clickButton('Save');
    await saved('console-echo');
    expect((await api('GET', '/v1/bots/console-echo')).body).toMatchObject({ name: 'console-echo', builtin: 'echo' });
    await shot('bots');

    await go('#/inbound', 'Inbound trunks');
    await clickButton('New');
    await type('#f-name', 'console-trunk');
    await type('#f-allow', '127.0.0.1/32');
    await type('#f-digestAlgorithms', 'MD5\nSHA-256');
    await clickButton('Add SIP user');
    await type('#user-0', 'carrier1');
    await type('#pass-0', 'short');
    expect(await textOf('#pass-0-advice')).toBe('needs at least 12 characters, an upper case letter, a digit');
    await type('#pass-0', '-Now-Long-Enough-9'); // appended: the password is now short-Now-Long-Enough-9
    expect(await textOf('#pass-0-advice')).toBe('meets the policy');
    await clickButton('Add number');
    await type('#num-0', NUMBER);
    await select('#numbot-0', 'console-echo');
    const carrier = await textOf('#carrier-text');
    expect(carrier).toContain(`SIP server: 127.0.0.1:${bridge.sipPort()} (UDP)`);
    expect(carrier).toContain(NUMBER);
    expect(carrier).toContain('username carrier1');
    await shot('inbound-trunk-form');
    await clickButton('Save');
    await saved('console-trunk');
    expect((await api('GET', '/v1/inbound-trunks/console-trunk')).body).toMatchObject({ name: 'console-trunk', allow: ['127.0.0.1/32'], digestAlgorithms: ['MD5', 'SHA-256'], credentials: [{ username: 'carrier1' }] });
    expect((await api('GET', `/v1/numbers/${encodeURIComponent(NUMBER)}`)).body).toMatchObject({ number: NUMBER, trunk: 'console-trunk', bot: 'console-echo' });
    await page.waitForFunction((n) => document.querySelector('table')?.textContent?.includes(`${n} → console-echo`), { timeout: 10_000 }, NUMBER);
    await shot('inbound-trunks');
    // The carrier's call to the number now reaches the bot the form named.
    // Address and digest both apply (allow + credentials); SIPp answers the first challenge, so MD5 is listed first.
    const run = await runSipp({ scenario: 'uac-digest-auth.xml', target: { host: '127.0.0.1', port: bridge.sipPort() }, service: NUMBER, timeoutMs: 15_000, keys: { rtp_port: listener.port }, args: ['-au', 'carrier1', '-ap', 'short-Now-Long-Enough-9'] });
    expect(run.code, describeSipp(run)).toBe(0);
    const routed = await bridge.waitForLog((l) => l.msg === 'call routed' && l.trunk === 'console-trunk');
    expect(routed.bot).toBe('console-echo');
  });

  it('shows the API error for a bad CIDR next to the allow field, and stores nothing', async () => {
    const direct = await api('POST', '/v1/inbound-trunks', { name: 'bad-trunk', allow: ['10.0.0.0/99'] });
    expect(direct.status).toBe(400);
    const message: string = direct.body.issues.find((i: { field: string }) => i.field.startsWith('allow')).message;
    await go('#/inbound', 'Inbound trunks');
    await clickButton('New');
    await type('#f-name', 'bad-trunk');
    await type('#f-allow', '10.0.0.0/99');
    await clickButton('Save');
    const shown = await textOf('[data-field="allow"]');
    expect(shown).toContain(message);
    expect(await page.$eval('#f-allow', (e) => e.getAttribute('aria-invalid'))).toBe('true');
    expect(await page.$eval('#f-allow', (e) => e.getAttribute('aria-describedby'))).toContain('f-allow-err');
    await shot('inbound-trunk-error');
    expect((await api('GET', '/v1/inbound-trunks/bad-trunk')).status).toBe(404);
  });

  it('a number another trunk owns: the API\'s 409 beside the numbers, the trunk itself saved once', async () => {
    await go('#/inbound', 'Inbound trunks');
    await clickButton('New');
    await type('#f-name', 'second-trunk');
    await type('#f-allow', '127.0.0.9');
    await clickButton('Add number');
    await type('#num-0', NUMBER);
    await select('#numbot-0', 'console-echo');
    await clickButton('Save');
    expect(await textOf('[data-field="numbers"]')).toBe(`${NUMBER}: number "${NUMBER}" exists (owned by trunk "console-trunk")`);
    expect((await api('GET', '/v1/inbound-trunks/second-trunk')).status).toBe(200);
    expect((await api('GET', `/v1/numbers/${encodeURIComponent(NUMBER)}`)).body.trunk).toBe('console-trunk');
    // Saving again changes the stored trunk (PATCH) instead of creating it a second time (which would be 409).
    await clickButton('Remove');
    await clickButton('Save');
    await saved('second-trunk');
  });

  it('previews how the outbound trunk sends a number', async () => {
    await go('#/outbound', 'Outbound trunks');
    await clickButton('New');
    await type('#f-name', 'carrier-out');
    await type('#f-host', 'sip.carrier.example');
    await select('#f-numberFormat', 'e164-no-plus');
    expect(await textOf('#preview-out')).toBe('+1 202 555 0123 is sent as sip:12025550123@sip.carrier.example');
    await select('#f-numberFormat', 'national');
    await type('#f-country', 'US');
    await page.waitForFunction(() => document.querySelector('#preview-out')?.textContent === '+1 202 555 0123 is sent as sip:2025550123@sip.carrier.example', { timeout: 5000 });
    await shot('outbound-trunks');
    await clickButton('Save');
    await saved('carrier-out');
    expect((await api('GET', '/v1/outbound-trunks/carrier-out')).body).toMatchObject({ host: 'sip.carrier.example', numberFormat: 'national', country: 'US' });
    for (const [hash, title, name] of [['#/transfers', 'Transfer destinations', 'transfer-destinations'], ['#/registrations', 'Registrations', 'registrations']] as const) {
      await go(hash, title);
      await shot(name);
    }
  });

  it('a read key sees every page but no button that changes anything', async () => {
    await signIn(KEYS.read);
    expect(await textOf('header .who')).toContain('viewer (role read)');
    // Nor may the key run the tools through the API itself.
    for (const [path, body] of [['/v1/test-calls', { uri: `sip:${NUMBER}@127.0.0.1:${bridge.sipPort()}` }], ['/v1/bot-checks', { url: 'ws://127.0.0.1:9/bot' }]] as const) {
      const refused = await fetch(`${base()}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${KEYS.read}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(refused.status, path).toBe(403);
    }
    for (const [hash, title] of [['#/inbound', 'Inbound trunks'], ['#/bots', 'Bots'], ['#/outbound', 'Outbound trunks'], ['#/transfers', 'Transfer destinations'], ['#/registrations', 'Registrations'], ['#/calls', 'Live calls'], ['#/test-call', 'Test call']] as const) {
      await go(hash, title);
      await page.waitForFunction(() => !document.querySelector('main')?.textContent?.includes('Loading'), { timeout: 10_000 });
      const buttons = await page.$$eval('main button', (bs) => bs.map((b) => b.textContent?.trim() ?? ''));
      expect(buttons.filter((b) => ['New', 'Edit', 'Delete', 'Save', 'Hang up', 'Transfer', 'Register now', 'Run', 'Check this bot'].includes(b)), title).toEqual([]);
    }
    await go('#/inbound', 'Inbound trunks');
    await clickButton('View');
    await page.waitForSelector('form.edit fieldset');
    expect(await page.$eval('form.edit fieldset', (f) => (f as HTMLFieldSetElement).disabled)).toBe(true);
    const inForm = await page.$$eval('form.edit button', (bs) => bs.map((b) => b.textContent?.trim() ?? ''));
    expect(inForm.sort()).toEqual(['Close', 'Copy']);
    expect(await page.$eval('form.edit button:not([type="submit"])', (b) => b.textContent?.trim() === 'Copy' && !(b as HTMLButtonElement).disabled)).toBe(true);
    await shot('read-only');
  });

  it('ran every page without a script error or a Content-Security-Policy refusal', () => {
    expect(pageProblems).toEqual([]);
  });
});
