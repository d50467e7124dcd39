// src/ follows the layer table (layers.ts, stated in README "Layout"): every import arrow allowed, no cycle.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkArrows, findCycle, layerGraph } from './arrows.js';
import { importGraph, topLevelEntries } from './import-graph.js';
import { LAYERS } from './layers.js';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const edges = importGraph(SRC);

describe('src/ layers', () => {
  it('reads the real graph (a broken reader would pass vacuously)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'app.ts', to: 'calls/call-manager.ts', specifier: './calls/call-manager.js' });
    expect(edges).toContainEqual({ from: 'app/ops.ts', to: 'api/http-server.ts', specifier: '../api/http-server.js' });
    expect(edges.some((e) => e.from.startsWith('sip/') && e.to === 'core/errors.ts')).toBe(true);
  });

  it('has a layer for every folder and root file, and no layer without a folder or root file', () => {
    const { folders, files } = topLevelEntries(SRC);
    // app is both: src/app.ts wires, src/app/ holds its parts.
    expect(folders).toContain('app');
    expect(folders.filter((f) => !Object.hasOwn(LAYERS.allowed, f))).toEqual([]);
    const placed = new Set([...folders, ...Object.values(LAYERS.rootFiles)]);
    expect(Object.keys(LAYERS.allowed).filter((l) => !placed.has(l))).toEqual([]);
    expect(files).toEqual(Object.keys(LAYERS.rootFiles).sort());
  });

  it('imports only along allowed arrows', () => {
    expect(checkArrows(edges, LAYERS)).toEqual([]);
  });

  it('has no cycle between layers', () => {
    expect(findCycle(layerGraph(edges, LAYERS))).toBeUndefined();
  });
});
