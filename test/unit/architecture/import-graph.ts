/**
 * Reads the import graph of a source tree: every relative module specifier in every .ts file, found with the
 * TypeScript parser (so multi-line imports, `import type`, `export … from`, `import()` and `import('…').T` types
 * all count, and text in comments or strings does not). Package imports are not arrows between layers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import ts from 'typescript';
import type { ImportEdge } from './arrows.js';

/** Every module specifier `text` imports or re-exports from, in source order. */
export function moduleSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const literal = (node: ts.Node | undefined): void => {
    if (node && ts.isStringLiteralLike(node)) found.push(node.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) literal(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) literal(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every .ts file under `dir`, relative to it, with "/" separators. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split(sep).join('/'))
    .sort();
}

/**
 * The relative imports of every .ts file under `root`, as edges between root-relative paths. NodeNext
 * specifiers name the emitted file ("./x.js"), so ".js" is read as the ".ts" source. A target outside
 * `root` keeps its leading "../".
 */
export function importGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of tsFiles(root)) {
    for (const specifier of moduleSpecifiers(from, readFileSync(join(root, from), 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.js$/, '.ts');
      edges.push({ from, to: target, specifier });
    }
  }
  return edges;
}

/** The entries directly under `root`: its folders and its .ts files (what must each belong to a layer). */
export function topLevelEntries(root: string): { folders: string[]; files: string[] } {
  const entries = readdirSync(root, { withFileTypes: true });
  return {
    folders: entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(),
    files: entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => e.name).sort(),
  };
}
