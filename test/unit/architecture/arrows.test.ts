// The checker's own tests: broken graphs must fail, so the src/ test cannot pass vacuously.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowedGraph, checkArrows, findCycle, layerGraph, layerOf, type ImportEdge } from './arrows.js';
import { importGraph, moduleSpecifiers } from './import-graph.js';
import { LAYERS } from './layers.js';

const edge = (from: string, to: string): ImportEdge => ({ from, to, specifier: `(${to})` });

describe('checkArrows', () => {
  it.each([
    ['media → sip', edge('media/media-session.ts', 'sip/message/types.ts'), 'media → sip'],
    ['sip → calls (the signaling port)', edge('sip/ua/user-agent.ts', 'calls/signaling.ts'), 'sip → calls'],
    ['bot → config', edge('bot/connector.ts', 'config/index.ts'), 'bot → config'],
    ['trunks → config', edge('trunks/inbound-router.ts', 'config/index.ts'), 'trunks → config'],
    ['trunks → sip', edge('trunks/inbound-router.ts', 'sip/auth/digest-server.ts'), 'trunks → sip'],
    ['calls → sip', edge('calls/call-manager.ts', 'sip/index.ts'), 'calls → sip'],
    ['calls → config', edge('calls/pstn-call.ts', 'config/outbound-schema.ts'), 'calls → config'],
    ['media → sdp', edge('media/index.ts', 'sdp/index.ts'), 'media → sdp'],
    ['core → anything', edge('core/errors.ts', 'sip/index.ts'), 'core → sip'],
    ['an inner layer → app', edge('calls/x.ts', 'app.ts'), 'calls → app'],
    ['an inner layer → app/', edge('records/x.ts', 'app/records.ts'), 'records → app'],
    ['bench → cli', edge('bench/run.ts', 'cli/main.ts'), 'bench → cli'],
    ['a folder in no layer', edge('misc/x.ts', 'core/errors.ts'), 'not in any layer (misc/x.ts)'],
    ['a root file in no layer', edge('core/x.ts', 'helpers.ts'), 'not in any layer (helpers.ts)'],
    ['a file outside src/', edge('media/x.ts', '../test/helpers/audio.ts'), 'outside src/'],
  ])('refuses %s', (_name, e, message) => {
    const problems = checkArrows([e], LAYERS);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
    expect(problems[0]).toContain(e.from);
  });

  it.each([
    ['inside one layer', edge('sip/ua/user-agent.ts', 'sip/message/types.ts')],
    ['calls → media', edge('calls/bridged-call.ts', 'media/index.ts')],
    ['sdp → media (codecs)', edge('sdp/offer.ts', 'media/codecs/index.ts')],
    ['config → trunks (dial plans)', edge('config/schema.ts', 'trunks/number-format.ts')],
    ['app → sip', edge('app.ts', 'sip/ua/user-agent.ts')],
    ['app/seams → calls', edge('app/seams.ts', 'calls/signaling.ts')],
    ['app.ts → app/', edge('app.ts', 'app/parts.ts')],
    ['cli → app', edge('cli/main.ts', 'app.ts')],
  ])('allows %s', (_name, e) => {
    expect(checkArrows([e], LAYERS)).toEqual([]);
  });

  it('reports every bad edge of a graph, not only the first', () => {
    const graph = [edge('media/a.ts', 'sip/b.ts'), edge('calls/c.ts', 'media/d.ts'), edge('bot/e.ts', 'trunks/f.ts')];
    expect(checkArrows(graph, LAYERS)).toEqual([
      "media → sip is not allowed: media/a.ts imports '(sip/b.ts)'",
      "bot → trunks is not allowed: bot/e.ts imports '(trunks/f.ts)'",
    ]);
  });
});

describe('layerOf', () => {
  it.each([
    ['sip/ua/user-agent.ts', 'sip'],
    ['app.ts', 'app'],
    ['app/seams.ts', 'app'],
    // The composition root's parts left src/'s root for app/: a file there under its old name is in no layer.
    ['app-seams.ts', undefined],
    ['cli/main.ts', 'cli'],
    ['misc/x.ts', undefined],
    ['other.ts', undefined],
  ])('%s is in %s', (path, layer) => {
    expect(layerOf(path, LAYERS)).toBe(layer);
  });
});

describe('findCycle', () => {
  it('finds the config ↔ trunks cycle issue #8 broke', () => {
    const graph = layerGraph([edge('config/a.ts', 'trunks/b.ts'), edge('trunks/c.ts', 'config/d.ts'), edge('trunks/c.ts', 'core/e.ts')], LAYERS);
    expect(findCycle(graph)).toEqual(['config', 'trunks', 'config']);
  });

  it('finds a longer cycle', () => {
    const graph = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('finds none in a diamond', () => {
    const graph = new Map([['a', new Set(['b', 'c'])], ['b', new Set(['d'])], ['c', new Set(['d'])]]);
    expect(findCycle(graph)).toBeUndefined();
  });

  it('finds none in the allowed table', () => {
    expect(findCycle(allowedGraph(LAYERS))).toBeUndefined();
  });
});

describe('moduleSpecifiers', () => {
  it('reads every form of import and export, and nothing in comments or strings', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      'import {',
      '  c,',
      '  type C,',
      "} from './c.js';",
      "import './side-effect.js';",
      "import * as ns from 'node:fs';",
      "export { d } from './d.js';",
      "export type { E } from './e.js';",
      "export * from './f.js';",
      "export * as g from './g.js';",
      "import h = require('./h.js');",
      "type I = import('./i.js').I;",
      "const j = await import('./j.js');",
      "// import k from './k.js';",
      "const s = \"import l from './l.js'\";",
      'export const m = 1;',
    ].join('\n');
    expect(moduleSpecifiers('x.ts', text)).toEqual([
      './a.js',
      '../b/b.js',
      './c.js',
      './side-effect.js',
      'node:fs',
      './d.js',
      './e.js',
      './f.js',
      './g.js',
      './h.js',
      './i.js',
      './j.js',
    ]);
  });
});

describe('importGraph + checkArrows on a tree on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'tb-arrows-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('core/errors.ts', 'export class E extends Error {}\n');
  write('sip/message/types.ts', "import { E } from '../../core/errors.js';\nexport interface SipRequest { e: E }\n");
  write('media/ok.ts', "import { E } from '../core/errors.js';\nexport const ok = E;\n");
  write('app.ts', "import type { SipRequest } from './sip/message/types.js';\nexport type R = SipRequest;\n");

  it('passes a healthy tree', () => {
    const edges = importGraph(root);
    expect(edges).toContainEqual({ from: 'sip/message/types.ts', to: 'core/errors.ts', specifier: '../../core/errors.js' });
    expect(edges).toContainEqual({ from: 'app.ts', to: 'sip/message/types.ts', specifier: './sip/message/types.js' });
    expect(checkArrows(edges, LAYERS)).toEqual([]);
  });

  it('fails once a media/ file imports sip/ (type-only, spread over lines)', () => {
    write('media/bad.ts', "import type {\n  SipRequest,\n} from '../sip/message/types.js';\nexport type Bad = SipRequest;\n");
    expect(checkArrows(importGraph(root), LAYERS)).toEqual(["media → sip is not allowed: media/bad.ts imports '../sip/message/types.js'"]);
  });
});
