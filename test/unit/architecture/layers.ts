/**
 * The allowed arrows between the layers of src/: the one table the architecture test enforces, and what
 * README's "Layout" section states. A layer is a folder directly under src/; the one file directly under
 * src/ (app.ts, beside its app/ folder) is assigned in `rootFiles`. Imports inside a layer are always allowed;
 * any other arrow must be listed.
 */

/** Which layer may import which: the rules {@link checkArrows} applies. */
export interface LayerRules {
  /** Layer -> the other layers its files may import (`import`, `import type`, `export … from`, `import()`). */
  readonly allowed: Readonly<Record<string, readonly string[]>>;
  /** Files directly under src/ -> their layer. */
  readonly rootFiles: Readonly<Record<string, string>>;
}

/** Everything below the composition root: what app wires and what the bench tool may drive. */
const BELOW_APP = ['core', 'sip', 'sdp', 'media', 'bot', 'engine', 'trunks', 'calls', 'config', 'metrics', 'api', 'store'] as const;

/** trunkbridge's layers. */
export const LAYERS: LayerRules = {
  allowed: {
    core: [],
    sip: ['core'],
    media: ['core'],
    // SDP offer/answer chooses among the codecs and SRTP suites media/ implements (media/codecs, media/srtp);
    // media/ never reads SDP, so the arrow points one way.
    sdp: ['core', 'media'],
    bot: ['core'],
    // engine/ runs a call's media and its bot socket together (in process or in a worker thread), so the
    // audio between them never reaches call control; calls/ sees it only through calls/media-engine.ts.
    engine: ['core', 'media', 'bot'],
    trunks: ['core'],
    // calls/ joins the others but reaches SIP only through its own port (calls/signaling.ts), so not 'sip'.
    calls: ['core', 'sdp', 'media', 'bot', 'trunks'],
    // records/ (CDRs, webhooks) reads call control's steps in a shape it declares itself (app/records.ts checks
    // the fit), so it needs no arrow to calls/.
    records: ['core', 'config'],
    // config/ validates countries and numbers with trunks' dial plans (one table for both); trunks/ declares
    // the shapes it reads and never imports config/.
    config: ['core', 'trunks'],
    metrics: ['core'],
    // The admin API validates with config/'s schemas and publishes them as OpenAPI (one schema for YAML and API).
    api: ['core', 'config'],
    // The configuration store keeps an opaque document: it knows nothing of what is in it.
    store: ['core'],
    // console/ serves the web console's bundled files; the page itself speaks only the public /v1 API.
    console: ['core'],
    // app/ holds the composition root's parts, which src/app.ts (a root file of the same layer) wires:
    // - seams.ts: compile-time checks that the layers' shapes fit where app.ts joins them.
    // - records.ts: call records and webhooks wired from config, and their status route.
    // - test-hooks.ts: HTTP routes that make a media worker fail or stall, only with TRUNKBRIDGE_TEST_HOOKS=1.
    // - ops.ts: the ops listener's routes (calls API, Twilio REST shim, test hooks) wired from config.
    // - parts.ts: the builders app.ts composes: SIP, the media engine, each snapshot's call deps.
    // - recordings.ts: call recordings wired from config: engine settings, events, retention, the recording route.
    // - security.ts: sip.security wired: the UA's guards and the digest lockout, with their metrics.
    // - config.ts: the live configuration: store, snapshots, reload, export.
    // - registrations.ts: PBX registrations kept in step with the live configuration.
    // - registration-lease.ts, leases.ts: one registration run under its lease (one node of a cluster registers
    //   it), and the leases wired from config.
    // - tools.ts: the test-call and bot-check tools adapted for POST /v1/test-calls and /v1/bot-checks.
    // - cluster.ts, cluster-live.ts, cluster-view.ts: cluster-wide call control: the shared call registry, trunk
    //   slots counted there, forwarded commands.
    app: [...BELOW_APP, 'records', 'console', 'testcall', 'botcheck'],
    // botcheck/ plays the bridge's side of a call against a bot with bot/'s own dialects (a tool, like bench/).
    botcheck: ['core', 'bot'],
    // testcall/ places one call with the bridge's own SIP stack and media session (a tool, like botcheck/).
    testcall: ['core', 'sip', 'sdp', 'media'],
    cli: ['core', 'config', 'app', 'botcheck', 'testcall'],
    bench: [...BELOW_APP],
  },
  rootFiles: {
    // The wiring entry (TrunkbridgeApp) stays at src/'s root, next to the app/ folder of its parts.
    'app.ts': 'app',
  },
};
