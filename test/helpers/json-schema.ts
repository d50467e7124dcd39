/**
 * A small JSON Schema (2020-12) validator for the keywords schema/native-protocol.schema.json uses, so tests
 * check frames against the checked-in file itself rather than against the zod schemas it was generated from.
 * Any keyword it does not know throws: a schema change it cannot follow fails loudly instead of passing
 * unchecked. (A full validator such as ajv would replace this; see the report of issue #10.)
 */

type Schema = Record<string, unknown> | boolean;

/** Keywords that say nothing about validity. */
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples', '$comment', 'id']);

/** Validates `value` against `schema` (a document or a part of `root`); returns the problems, empty when valid. */
export function validate(root: Record<string, unknown>, value: unknown, schema: Schema = root, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed here`];
  const problems: string[] = [];
  for (const [key, arg] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key) || key === '$defs') continue;
    const check = KEYWORDS[key];
    if (!check) throw new Error(`json-schema helper: unsupported keyword "${key}" at ${path}`);
    problems.push(...check({ root, value, arg, schema, path }));
  }
  return problems;
}

interface Ctx {
  root: Record<string, unknown>;
  value: unknown;
  arg: unknown;
  schema: Record<string, unknown>;
  path: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function resolveRef(root: Record<string, unknown>, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`json-schema helper: only local $refs, not ${ref}`);
  let at: unknown = root;
  for (const part of ref.slice(2).split('/')) at = isObject(at) ? at[part] : undefined;
  if (at === undefined) throw new Error(`json-schema helper: unresolved $ref ${ref}`);
  return at as Schema;
}

const KEYWORDS: Record<string, (c: Ctx) => string[]> = {
  $ref: ({ root, value, arg, path }) => validate(root, value, resolveRef(root, String(arg)), path),
  type: ({ value, arg, path }) => {
    const types = Array.isArray(arg) ? (arg as string[]) : [String(arg)];
    const t = typeOf(value);
    return types.includes(t) || (t === 'integer' && types.includes('number')) ? [] : [`${path}: ${t}, expected ${types.join('|')}`];
  },
  const: ({ value, arg, path }) => (JSON.stringify(value) === JSON.stringify(arg) ? [] : [`${path}: must be ${JSON.stringify(arg)}`]),
  enum: ({ value, arg, path }) => ((arg as unknown[]).some((a) => JSON.stringify(a) === JSON.stringify(value)) ? [] : [`${path}: not one of ${JSON.stringify(arg)}`]),
  pattern: ({ value, arg, path }) => (typeof value !== 'string' || new RegExp(String(arg), 'u').test(value) ? [] : [`${path}: does not match ${String(arg)}`]),
  minLength: ({ value, arg, path }) => (typeof value !== 'string' || [...value].length >= Number(arg) ? [] : [`${path}: shorter than ${String(arg)}`]),
  maxLength: ({ value, arg, path }) => (typeof value !== 'string' || [...value].length <= Number(arg) ? [] : [`${path}: longer than ${String(arg)}`]),
  minimum: ({ value, arg, path }) => (typeof value !== 'number' || value >= Number(arg) ? [] : [`${path}: below ${String(arg)}`]),
  maximum: ({ value, arg, path }) => (typeof value !== 'number' || value <= Number(arg) ? [] : [`${path}: above ${String(arg)}`]),
  required: ({ value, arg, path }) => (isObject(value) ? (arg as string[]).filter((k) => !(k in value)).map((k) => `${path}: missing "${k}"`) : []),
  properties: ({ root, value, arg, path }) => {
    if (!isObject(value)) return [];
    return Object.entries(arg as Record<string, Schema>).flatMap(([k, s]) => (k in value ? validate(root, value[k], s, `${path}.${k}`) : []));
  },
  additionalProperties: ({ root, value, arg, schema, path }) => {
    if (!isObject(value)) return [];
    const known = new Set(Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {}));
    return Object.keys(value)
      .filter((k) => !known.has(k))
      .flatMap((k) => (arg === false ? [`${path}: unexpected field "${k}"`] : validate(root, value[k], arg as Schema, `${path}.${k}`)));
  },
  items: ({ root, value, arg, path }) => (Array.isArray(value) ? value.flatMap((v, i) => validate(root, v, arg as Schema, `${path}[${i}]`)) : []),
  propertyNames: ({ root, value, arg, path }) => (isObject(value) ? Object.keys(value).flatMap((k) => validate(root, k, arg as Schema, `${path}[name ${k}]`)) : []),
  oneOf: ({ root, value, arg, path }) => {
    const matches = (arg as Schema[]).filter((s) => validate(root, value, s, path).length === 0).length;
    return matches === 1 ? [] : [`${path}: matches ${matches} of oneOf's ${(arg as Schema[]).length} schemas, expected exactly 1`];
  },
  anyOf: ({ root, value, arg, path }) => ((arg as Schema[]).some((s) => validate(root, value, s, path).length === 0) ? [] : [`${path}: matches none of anyOf`]),
};
