import { describe, expect, it } from 'vitest';
import type { ManagedConfig } from '../../../../src/config/index.js';
import { collectionNamed, COLLECTIONS } from '../../../../src/api/admin/resources.js';
import { relateIssues } from '../../../../src/api/admin/issues.js';
import { openApiDocument } from '../../../../src/api/admin/openapi.js';
import { AdminApiError } from '../../../../src/api/admin/http.js';

const base = (): ManagedConfig => ({
  bots: { echo: { builtin: 'echo' } },
  inboundTrunks: [
    { name: 'a', allow: ['127.0.0.1'], numbers: { '+15550100': { bot: 'echo' } } },
    { name: 'b', allow: ['127.0.0.2'] },
  ],
  outboundTrunks: [],
  transferDestinations: {},
  registrations: [],
});

const coll = (name: string) => {
  const c = collectionNamed(name);
  if (!c) throw new Error(name);
  return c;
};

describe('numbers: a view over the trunks', () => {
  it('lists every number with its trunk', () => {
    expect(coll('numbers').list(base())).toEqual([{ number: '+15550100', trunk: 'a', bot: 'echo' }]);
  });

  it('finds a number with or without "+"', () => {
    expect(coll('numbers').get(base(), '15550100')?.number).toBe('+15550100');
  });

  it('moving a number to another trunk takes it off the first (one owner)', () => {
    const m = coll('numbers').put(base(), '+15550100', { number: '+15550100', trunk: 'b', bot: 'echo' });
    const trunks = m.inboundTrunks as Array<{ name: string; numbers?: object }>;
    expect(trunks[0].numbers).toEqual({});
    expect(trunks[1].numbers).toEqual({ '+15550100': { bot: 'echo' } });
    expect(coll('numbers').pathOf(m, '+15550100')).toEqual(['inboundTrunks', 1, 'numbers', '+15550100']);
  });

  it('an unknown trunk is a 400 naming the field "trunk"', () => {
    const err = (() => {
      try {
        coll('numbers').put(base(), '+1', { number: '+1', trunk: 'zz', bot: 'echo' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AdminApiError);
    expect((err as AdminApiError).details.issues).toEqual([{ field: 'trunk', path: 'trunk', message: 'unknown inbound trunk "zz"' }]);
  });
});

describe('record and array collections', () => {
  it('bots: items carry their name; put and remove edit the map', () => {
    const bots = coll('bots');
    const m = bots.put(base(), 'b2', { name: 'b2', builtin: 'echo', delayFrames: 2 });
    expect(m.bots).toEqual({ echo: { builtin: 'echo' }, b2: { builtin: 'echo', delayFrames: 2 } });
    expect(bots.get(m, 'b2')).toEqual({ name: 'b2', builtin: 'echo', delayFrames: 2 });
    expect(bots.remove(m, 'echo').bots).toEqual({ b2: { builtin: 'echo', delayFrames: 2 } });
  });

  it('inbound trunks: replace in place, keep order', () => {
    const trunks = coll('inbound-trunks');
    const m = trunks.put(base(), 'a', { name: 'a', allow: ['10.0.0.0/8'] });
    expect((m.inboundTrunks as Array<{ name: string }>).map((t) => t.name)).toEqual(['a', 'b']);
    expect(trunks.pathOf(m, 'b')).toEqual(['inboundTrunks', 1]);
  });
});

describe('relateIssues', () => {
  it('names fields relative to the item written, and whole paths elsewhere', () => {
    const issues = [
      { path: 'inboundTrunks[1].allow[0]', message: 'bad' },
      { path: 'inboundTrunks[1].credentials[0].password', message: 'weak' },
      { path: 'inboundTrunks[10].allow', message: 'other trunk' },
      { path: 'bots.x', message: 'elsewhere' },
    ];
    expect(relateIssues(issues, ['inboundTrunks', 1]).map((i) => i.field)).toEqual(['allow[0]', 'credentials[0].password', 'inboundTrunks[10].allow', 'bots.x']);
  });
});

describe('the OpenAPI document', () => {
  const doc = openApiDocument() as { openapi: string; paths: Record<string, object>; components: { schemas: Record<string, { properties?: Record<string, { writeOnly?: boolean }> }> } };

  it('is OpenAPI 3 with every resource and its item route', () => {
    expect(doc.openapi).toMatch(/^3\./);
    for (const c of COLLECTIONS) {
      expect(doc.paths[`/v1/${c.name}`]).toBeDefined();
      expect(doc.paths[`/v1/${c.name}/{key}`]).toBeDefined();
    }
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/inbound-trunks/{name}/allow', '/v1/inbound-trunks/{name}/credentials', '/v1/registrations/{name}/refresh', '/v1/reload', '/v1/calls', '/v1/calls/{callId}/hangup', '/v1/calls/{callId}/transfer']));
  });

  it('documents the live calls (GET /v1/calls, /v1/calls/{callId}) with their levels, and the event stream (GET /v1/events)', () => {
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    expect(Object.keys(paths['/v1/calls'])).toEqual(['get', 'post']);
    expect(paths['/v1/calls/{callId}'].get.responses['200'].content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/LiveCall' } } });
    expect(Object.keys(paths['/v1/events'].get.responses['200'].content ?? {})).toEqual(['text/event-stream']);
    const live = doc.components.schemas.LiveCall.properties as Record<string, { properties?: Record<string, unknown> }>;
    expect(Object.keys(live.levels.properties ?? {})).toEqual(['callerToBot', 'botToCaller']);
    expect(Object.keys(live)).toEqual(expect.arrayContaining(['callId', 'state', 'trunk', 'bot', 'from', 'to', 'codec', 'durationSec', 'media', 'levels']));
  });

  it('is generated from the config schema: a trunk has its YAML keys (not numbers), secrets are writeOnly', () => {
    const trunk = doc.components.schemas.InboundTrunks.properties ?? {};
    expect(Object.keys(trunk)).toEqual(expect.arrayContaining(['name', 'allow', 'credentials', 'digestAlgorithms', 'maxConcurrentCalls', 'srtp']));
    expect(trunk.numbers).toBeUndefined();
    expect(doc.components.schemas.Registrations.properties?.password?.writeOnly).toBe(true);
    expect(JSON.stringify(doc.components.schemas.OutboundTrunks)).toContain('"writeOnly":true');
  });
});
