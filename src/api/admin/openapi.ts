/**
 * `GET /v1/openapi.json`: an OpenAPI 3.0 document generated from the config's zod schemas (z.toJSONSchema, input
 * side), so the API's item shapes cannot drift from what the YAML accepts. Secrets are marked writeOnly.
 */
import { z } from 'zod';
import { LIVE_CALL_SCHEMA, eventStreamPath } from '../events/openapi-parts.js';
import { COLLECTIONS } from './resources.js';
import type { Collection } from './collections.js';
import { placeCallBody, transferBody } from '../calls-api.js';
import { botCheckBody, testCallBody } from './tool-runs.js';
import { callRecordsOpenApi } from '../call-records-route.js';

type Json = Record<string, unknown>;
const SECRET = /^(password|secret|authToken|token)$/;

/** Marks secret properties writeOnly and drops hidden ones, recursively. */
function annotate(schema: unknown, hidden: readonly string[], secretKeys: readonly string[], top = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => annotate(s, hidden, secretKeys, top));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    if (k === 'properties' && typeof v === 'object' && v !== null) {
      const props: Json = {};
      for (const [name, p] of Object.entries(v as Json)) {
        if (top && hidden.includes(name)) continue;
        const a = annotate(p, hidden, secretKeys, false) as Json;
        props[name] = SECRET.test(name) || (top && secretKeys.includes(name)) ? { ...a, writeOnly: true } : a;
      }
      out[k] = props;
    } else if (k === 'required' && Array.isArray(v) && top) {
      out[k] = v.filter((n) => !hidden.includes(String(n)));
    } else {
      out[k] = k === 'allOf' || k === 'anyOf' || k === 'oneOf' ? annotate(v, hidden, secretKeys, top) : annotate(v, hidden, secretKeys, false);
    }
  }
  return out;
}

function schemaName(c: Collection): string {
  return c.name.replace(/(^|-)([a-z])/g, (_m, _d, ch: string) => ch.toUpperCase());
}

const errorRef = { $ref: '#/components/schemas/Error' };
/** A cluster (`store`): another node's call is forwarded to it; these answer when that cannot be done. */
const cluster: Json = {
  502: { description: 'node-unreachable: the node that owns the call cannot be reached (the body names it)' },
  503: { description: 'store-unreachable: the shared store cannot be asked which node owns the call' },
  504: { description: 'node-timeout: the node that owns the call did not answer in time (the body names it)' },
};
const errors = (...codes: number[]): Json =>
  Object.fromEntries(codes.map((c) => [String(c), { description: ERROR_TEXT[c] ?? 'error', content: { 'application/json': { schema: errorRef } } }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid: `issues` names every bad field',
  401: 'no or an unknown API key',
  403: "the key's role is too low",
  404: 'no such item',
  409: 'exists already (create), or still named elsewhere (delete)',
  412: 'If-Match names an older revision',
};

function paths(c: Collection): Json {
  const ref = { $ref: `#/components/schemas/${schemaName(c)}` };
  const json = (schema: unknown) => ({ 'application/json': { schema } });
  const key = { name: 'key', in: 'path', required: true, schema: { type: 'string' }, description: `the item's ${c.keyField} (URL-encoded)` };
  const ifMatch = { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'the ETag (configuration revision) the change is based on' };
  return {
    [`/v1/${c.name}`]: {
      get: { summary: `list ${c.name}`, security: [{ bearer: [] }], responses: { 200: { description: 'the items (secrets left out; secretsSet names the top-level ones stored)', content: json({ type: 'object', properties: { items: { type: 'array', items: ref } } }) }, ...errors(401) } },
      post: { summary: `create one of ${c.name}`, security: [{ bearer: [] }], parameters: [ifMatch], requestBody: { required: true, content: json(ref) }, responses: { 201: { description: 'created', content: json(ref) }, ...errors(400, 401, 403, 409, 412) } },
    },
    [`/v1/${c.name}/{key}`]: {
      parameters: [key],
      get: { summary: `one of ${c.name}`, security: [{ bearer: [] }], responses: { 200: { description: 'the item', content: json(ref) }, ...errors(401, 404) } },
      put: { summary: 'replace (omitted secrets keep their stored values)', security: [{ bearer: [] }], parameters: [ifMatch], requestBody: { required: true, content: json(ref) }, responses: { 200: { description: 'replaced', content: json(ref) }, ...errors(400, 401, 403, 404, 412) } },
      patch: { summary: 'change some fields (JSON merge patch, RFC 7396)', security: [{ bearer: [] }], parameters: [ifMatch], requestBody: { required: true, content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/json': { schema: { type: 'object' } } } }, responses: { 200: { description: 'changed', content: json(ref) }, ...errors(400, 401, 403, 404, 412) } },
      delete: { summary: 'delete', security: [{ bearer: [] }], parameters: [ifMatch], responses: { 204: { description: 'deleted' }, ...errors(401, 403, 404, 409, 412) } },
    },
  };
}

function extraPaths(): Json {
  const sec = [{ bearer: [] }];
  const name = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
  return {
    '/v1/inbound-trunks/{name}/allow': {
      parameters: [name],
      get: { summary: "the trunk's allow list", security: sec, responses: { 200: { description: '{ allow: [...] }' }, ...errors(401, 404) } },
      post: { summary: 'add an address, CIDR or host name', security: sec, requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['address'], properties: { address: { type: 'string' } } } } } }, responses: { 201: { description: 'added' }, ...errors(400, 401, 403, 404, 409, 412) } },
      put: { summary: 'replace the list', security: sec, requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['allow'], properties: { allow: { type: 'array', items: { type: 'string' } } } } } } }, responses: { 200: { description: 'replaced' }, ...errors(400, 401, 403, 404, 412) } },
    },
    '/v1/inbound-trunks/{name}/allow/{address}': {
      parameters: [name, { name: 'address', in: 'path', required: true, schema: { type: 'string' }, description: 'URL-encoded (a CIDR has a "/")' }],
      delete: { summary: 'remove an entry', security: sec, responses: { 204: { description: 'removed' }, ...errors(400, 401, 403, 404, 412) } },
    },
    '/v1/inbound-trunks/{name}/credentials': {
      parameters: [name],
      get: { summary: "the trunk's SIP users (no passwords)", security: sec, responses: { 200: { description: '{ credentials: [{ username }] }' }, ...errors(401, 404) } },
      post: { summary: 'add a SIP user', security: sec, requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SipUser' } } } }, responses: { 201: { description: 'added' }, ...errors(400, 401, 403, 404, 409, 412) } },
    },
    '/v1/inbound-trunks/{name}/credentials/{username}': {
      parameters: [name, { name: 'username', in: 'path', required: true, schema: { type: 'string' } }],
      put: { summary: 'set the password', security: sec, responses: { 200: { description: 'changed' }, ...errors(400, 401, 403, 404, 412) } },
      delete: { summary: 'remove the user', security: sec, responses: { 204: { description: 'removed' }, ...errors(401, 403, 404, 412) } },
    },
    '/v1/registrations/{name}/refresh': {
      parameters: [name],
      post: { summary: 'send a REGISTER now', security: sec, responses: { 202: { description: '{ name, state }' }, ...errors(401, 403, 404) } },
    },
    '/v1/calls': {
      get: { summary: 'the live calls, oldest first; role read', security: sec, responses: { 200: { description: '{ calls: [LiveCall] }', content: { 'application/json': { schema: { type: 'object', properties: { calls: { type: 'array', items: { $ref: '#/components/schemas/LiveCall' } } } } } } }, ...errors(401) } },
      post: { summary: 'place a call (answers once it is answered or failed); role operate', security: sec, requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PlaceCall' } } } }, responses: { 200: { description: '{ callId, sipCallId, status: answered }' }, 502: { description: '{ callId, status: failed, sipStatus, reason }' }, ...errors(400, 401, 403) } },
    },
    '/v1/calls/{callId}': {
      parameters: [{ name: 'callId', in: 'path', required: true, schema: { type: 'string' } }],
      get: { summary: 'one live call; role read', security: sec, responses: { 200: { description: 'the call', content: { 'application/json': { schema: { $ref: '#/components/schemas/LiveCall' } } } }, ...errors(401, 404) } },
    },
    '/v1/events': eventStreamPath(sec),
    '/v1/calls/{callId}/hangup': {
      parameters: [{ name: 'callId', in: 'path', required: true, schema: { type: 'string' } }],
      post: { summary: 'end a live call with BYE; role operate', security: sec, responses: { 200: { description: '{ callId, status: hangup }' }, ...errors(401, 403, 404), ...cluster } },
    },
    '/v1/calls/{callId}/transfer': {
      parameters: [{ name: 'callId', in: 'path', required: true, schema: { type: 'string' } }],
      post: { summary: "transfer a live call as the bot's command would; role operate", security: sec, requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Transfer' } } } }, responses: { 200: { description: 'the final transfer event' }, 409: { description: 'the transfer failed' }, ...errors(400, 401, 403, 404), ...cluster } },
    },
    '/v1/whoami': {
      get: { summary: "the calling key's name and role (what a client may show); any role", security: sec, responses: { 200: { description: '{ key, role }' }, ...errors(401) } },
    },
    '/v1/test-calls': {
      post: { summary: 'run `test-call` in the bridge: text/event-stream, a `step` event per line ({ line }), then `result` ({ result: pass|fail, exitCode }); role operate', security: sec, requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/TestCall' } } } }, responses: { 200: { description: 'the steps as server-sent events' }, 429: { description: 'tool-busy: two test calls or bot checks already run' }, ...errors(400, 401, 403) } },
    },
    '/v1/bot-checks': {
      post: { summary: 'run `bot-check` in the bridge against a bot URL, or a stored bot by name ({ bot }: its URL, protocol, rate, headers and secret, which stay in the bridge): the same event stream as /v1/test-calls; role admin', security: sec, requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/BotCheck' } } } }, responses: { 200: { description: 'the steps as server-sent events' }, 429: { description: 'tool-busy: two test calls or bot checks already run' }, ...errors(400, 401, 403) } },
    },
    '/v1/reload': {
      post: { summary: 'reload the YAML file (as SIGHUP): its routing sections replace the live ones', security: sec, responses: { 200: { description: '{ revision, restartRequired: [sections] }' }, ...errors(400, 401, 403) } },
    },
  };
}

/** A zod schema as OpenAPI 3.0 JSON Schema, input side (what a client sends; defaults are optional). */
function generated(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' }) as Json;
  return rest;
}

let cached: Json | undefined;

/** POST /v1/bot-checks' body; `protocol` is one of the bot dialects (bot/, which api/ does not import: a 400 lists them). */
function botCheckSchema(): Json {
  const schema = generated(botCheckBody(['native'])) as { properties: Record<string, Json> };
  schema.properties.protocol = { type: 'string', default: 'native', description: 'a bot protocol (dialect): native, twilio, telnyx...' };
  return schema;
}

/** The document (built once: the schemas do not change while running). */
export function openApiDocument(): Json {
  if (cached) return cached;
  const schemas: Json = {
    Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, message: { type: 'string' }, issues: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, path: { type: 'string' }, message: { type: 'string' } } } } } },
    PlaceCall: generated(placeCallBody),
    Transfer: generated(transferBody),
    TestCall: generated(testCallBody),
    BotCheck: botCheckSchema(),
    LiveCall: LIVE_CALL_SCHEMA,
    SipUser: annotate(z.toJSONSchema(z.object({ username: z.string(), password: z.string() }), { target: 'openapi-3.0' }), [], []),
  };
  let allPaths: Json = {};
  for (const c of COLLECTIONS) {
    schemas[schemaName(c)] = annotate(generated(c.schema()), c.hiddenKeys, c.secretKeys);
    allPaths = { ...allPaths, ...paths(c) };
  }
  cached = {
    openapi: '3.0.3',
    info: { title: 'trunkbridge admin API', version: '1', description: 'Configuration and call control. Bearer API keys with roles read < operate < admin.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    security: [{ bearer: [] }],
    paths: { ...allPaths, ...extraPaths(), ...callRecordsOpenApi() },
  };
  return cached;
}
