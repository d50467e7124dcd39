/**
 * The arrow checker: given the import edges of src/ and a {@link LayerRules} table, lists every import that
 * points where the table does not allow, and finds cycles between layers. Pure: the edges come from
 * import-graph.ts (or, in its own tests, from hand-written broken graphs).
 */
import type { LayerRules } from './layers.js';

/** One import: both paths relative to src/, with "/" separators ("media/rtp/packet.ts"). */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** The module specifier as written, for messages. */
  readonly specifier: string;
}

/** The layer a src/-relative path belongs to, or undefined when it is in none (unknown folder or root file). */
export function layerOf(path: string, rules: LayerRules): string | undefined {
  const slash = path.indexOf('/');
  if (slash < 0) return Object.hasOwn(rules.rootFiles, path) ? rules.rootFiles[path] : undefined;
  const folder = path.slice(0, slash);
  return Object.hasOwn(rules.allowed, folder) ? folder : undefined;
}

/** Every import the table does not allow, one message each ("media → sip: media/x.ts imports '../sip/y.js'"). */
export function checkArrows(edges: readonly ImportEdge[], rules: LayerRules): string[] {
  const problems: string[] = [];
  for (const e of edges) {
    const where = `${e.from} imports '${e.specifier}'`;
    if (e.to.startsWith('../')) {
      problems.push(`outside src/: ${where}`);
      continue;
    }
    const from = layerOf(e.from, rules);
    const to = layerOf(e.to, rules);
    if (from === undefined || to === undefined) {
      problems.push(`not in any layer (${from === undefined ? e.from : e.to}): ${where}`);
      continue;
    }
    if (from !== to && !(rules.allowed[from] ?? []).includes(to)) problems.push(`${from} → ${to} is not allowed: ${where}`);
  }
  return problems;
}

/** Layer -> the other layers it imports, as the edges show. Edges outside any layer are left out. */
export function layerGraph(edges: readonly ImportEdge[], rules: LayerRules): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    const from = layerOf(e.from, rules);
    const to = layerOf(e.to, rules);
    if (from === undefined || to === undefined || from === to) continue;
    let targets = graph.get(from);
    if (!targets) graph.set(from, (targets = new Set()));
    targets.add(to);
  }
  return graph;
}

/** The allowed table as a graph, for checking that the rules themselves have no cycle. */
export function allowedGraph(rules: LayerRules): Map<string, Set<string>> {
  return new Map(Object.entries(rules.allowed).map(([layer, targets]) => [layer, new Set(targets)]));
}

/** A cycle in `graph` as the path that closes it (["config", "trunks", "config"]), or undefined when there is none. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const open = path.indexOf(node);
    if (open >= 0) return [...path.slice(open), node];
    if (done.has(node)) return undefined;
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}
