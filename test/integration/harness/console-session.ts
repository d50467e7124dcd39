/**
 * The web console tests' setup (web-console-forms and web-console-calls): the real bridge process with a read and
 * an admin API key and the echo bot on the YAML's own trunk, Debian's chromium on its /console (through
 * console-browser.ts), and the page helpers both files drive it with. Each page is saved as a screenshot under
 * docs/console/ (shown in the README) when UPDATE_SCREENSHOTS=1, so an ordinary run leaves the tree clean;
 * otherwise the shots go to a temp folder (still taken: a page that cannot render fails).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Page } from 'puppeteer-core';
import { BridgeProcess } from './bridge-process.js';
import { RtpListener } from './rtp-listener.js';
import { testConfig } from './config.js';
import { openConsole, type ConsoleBrowser } from './console-browser.js';
import { reservePorts } from '../../helpers/ports.js';

export const KEYS = { read: 'console-read-key-0123456', admin: 'console-admin-key-012345' } as const;
/** The number the console's own inbound trunk (console-trunk) routes to its bot (console-echo). */
export const NUMBER = '+15550199';
/** On the YAML's own trunk (carrier-a, source 127.0.0.2, no digest), so SIPp's waiting-for-BYE scenario needs no auth. */
export const LIVE_NUMBER = '+15550177';

const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../docs/console/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'tb-console-shots-'));

/** One bridge and one browser page on its console; the helpers are bound to them (they can be destructured). */
export class ConsoleSession {
  bridge!: BridgeProcess;
  listener!: RtpListener;
  page!: Page;
  /** Script errors and Content-Security-Policy refusals the page reported (API answers like 401 are expected). */
  pageProblems: string[] = [];
  private browser: ConsoleBrowser | undefined;

  async start(): Promise<void> {
    mkdirSync(SHOTS, { recursive: true });
    const rtpBase = await reservePorts(10);
    this.listener = await RtpListener.start();
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tb-console-')), 'data');
    // The YAML's own trunk takes another source, so the trunk the console creates owns 127.0.0.1's calls.
    const yaml = `${testConfig({ rtpPortMin: rtpBase, rtpPortMax: rtpBase + 9, allow: ['127.0.0.2'], bots: { echo: '{ builtin: echo }' }, numbers: { [LIVE_NUMBER]: 'echo' }, extraMedia: '  workers: 0' })}api:
  keys:
    - { name: viewer, role: read, key: ${KEYS.read} }
    - { name: root, role: admin, key: ${KEYS.admin} }
dataDir: ${dataDir}
`;
    this.bridge = new BridgeProcess(yaml);
    await this.bridge.start();
    this.browser = await openConsole();
    this.page = this.browser.page;
    this.pageProblems = this.browser.problems;
    this.page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) this.pageProblems.push(`console: ${m.text()}`);
    });
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await this.bridge?.stop();
    this.listener?.close();
  }

  readonly base = (): string => `http://127.0.0.1:${this.bridge.metricsPort}`;

  /** One /v1 request with the admin key; the body is sent and read as JSON. */
  readonly api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${this.base()}${path}`, {
      method,
      headers: { Authorization: `Bearer ${KEYS.admin}`, 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  /** Clicks the first button whose text is `text` once it is there. */
  readonly clickButton = async (text: string): Promise<void> => {
    await this.page.waitForFunction((t) => [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === t && !b.disabled), { timeout: 10_000 }, text);
    await this.page.evaluate((t) => [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === t)!.click(), text);
  };

  /** Types into a control once it is there (forms open after their data loads). */
  readonly type = async (selector: string, text: string): Promise<void> => {
    await this.page.waitForSelector(selector, { timeout: 10_000 });
    await this.page.type(selector, text);
  };

  readonly select = async (selector: string, value: string): Promise<void> => {
    await this.page.waitForSelector(selector, { timeout: 10_000 });
    await this.page.select(selector, value);
  };

  /** Waits for the form's answer: the "Saved" notice, else fails with the error the page shows. */
  readonly saved = async (name: string): Promise<void> => {
    await this.page.waitForFunction(() => document.querySelector('[role="status"], [role="alert"]') !== null, { timeout: 10_000 });
    const said = await this.page.$$eval('[role="status"], [role="alert"]', (es) => es.map((e) => e.textContent ?? '').join(' | '));
    expect(said).toContain(`Saved ${name}.`);
  };

  readonly textOf = async (selector: string): Promise<string> => {
    await this.page.waitForSelector(selector, { timeout: 10_000 });
    return this.page.$eval(selector, (e) => e.textContent ?? '');
  };

  readonly go = async (hash: string, title: string): Promise<void> => {
    await this.page.goto(`${this.base()}/console/${hash}`);
    // A goto to the URL already shown changes nothing: reload so each test starts from the page as loaded.
    await this.page.reload();
    await this.page.waitForFunction((t) => document.querySelector('#page-title')?.textContent === t, { timeout: 10_000 }, title);
  };

  readonly signIn = async (key: string): Promise<void> => {
    await this.page.goto(`${this.base()}/console/`);
    await this.page.evaluate(() => sessionStorage.clear());
    await this.page.reload();
    await this.page.waitForSelector('#api-key');
    await this.type('#api-key', key);
    await this.clickButton('Sign in');
    await this.page.waitForSelector('header .who');
  };

  readonly shot = (name: string): Promise<unknown> => this.page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
