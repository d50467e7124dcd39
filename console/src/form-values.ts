// Pure conversions between API items and form values (strings), and API issues to form fields. No DOM.

/** A form field: `name` is the item's key, dotted for nested ones ("auth.username"). */
export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'number' | 'select' | 'list' | 'checkbox' | 'password';
  readOnly?: boolean;
}
type Obj = Record<string, unknown>;
/** A form's values by field name. */
export type FormValues = Record<string, unknown>;

/** The value at a dotted path ("auth.username") of an object. */
export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Obj)[k] : undefined), obj);
}

/** Sets a dotted path, making the objects on the way. */
export function setPath(obj: Obj, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] && typeof o[k] === 'object' ? (o[k] as Obj) : (o[k] = {});
  o[keys[keys.length - 1]] = value;
}

/** An item's field as the form shows it: lists one per line, numbers and booleans as text. */
export function toFormValue(field: FieldSpec, item: unknown): string | boolean {
  const v = getPath(item, field.name);
  if (field.type === 'list') return Array.isArray(v) ? v.join('\n') : '';
  if (field.type === 'checkbox') return v === true;
  return v === undefined || v === null ? '' : String(v);
}

/** A form value as the API takes it; undefined when the field is left empty. */
export function fromFormValue(field: FieldSpec, value: unknown): unknown {
  if (field.type === 'checkbox') return value === true ? true : undefined;
  const text = String(value ?? '').trim();
  if (text === '') return undefined;
  if (field.type === 'list') return text.split(/[\n,]+/).map((s) => s.trim()).filter((s) => s !== '');
  // A number field sends what was typed when it is not a number, so the API's message names the field.
  if (field.type === 'number') return Number.isFinite(Number(text)) ? Number(text) : text;
  return text;
}

/**
 * The body for a create (empty fields left out) or a merge patch (empty fields null: removed, so the
 * schema's default applies). Password fields left empty are left out of a patch: the API keeps the stored one.
 */
export function itemFromForm(fields: readonly FieldSpec[], values: FormValues, forPatch: boolean): Obj {
  const out: Obj = {};
  for (const f of fields) {
    if (f.readOnly) continue;
    const v = fromFormValue(f, values[f.name]);
    if (v !== undefined) setPath(out, f.name, v);
    else if (forPatch && f.type !== 'password' && !f.name.includes('.')) out[f.name] = null;
  }
  return out;
}

/**
 * API issues by form field: an issue on "allow[1]" or "credentials[0].password" belongs to the form field
 * "allow" / "credentials"; "auth.username" to that field when the form has it, else to "auth".
 */
export function issuesByField(issues: ReadonlyArray<{ field: string; message: string }>, fieldNames: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: string, m: string): void => {
    out[k] = out[k] ? `${out[k]}; ${m}` : m;
  };
  for (const i of issues) {
    const field = i.field;
    const exact = fieldNames.find((n) => n === field);
    const byPrefix = fieldNames.filter((n) => field.startsWith(`${n}[`) || field.startsWith(`${n}.`)).sort((a, b) => b.length - a.length)[0];
    const target = exact ?? byPrefix ?? '';
    const detail = target === field || target === '' ? i.message : `${field}: ${i.message}`;
    add(target, target === '' && field !== '' ? `${field}: ${i.message}` : detail);
  }
  return out;
}

/**
 * A bot's headers as typed, one `Name: value` per line, as the API takes them (empty lines skipped). A line
 * without a colon becomes a header with an empty value, so the API's own message names it.
 */
export function headersFromText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf(':');
    if (at < 0) out[line.trim()] = '';
    else out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

/**
 * The write-only part of a bot form (headers, secret) as a create body or merge patch: what was typed
 * replaces the stored value, "remove" sends null (patch only), and an empty field keeps what is stored.
 */
export function writeOnlyBody(values: { headers?: string; secret?: string; clearHeaders?: boolean; clearSecret?: boolean }, forPatch: boolean): Obj {
  const out: Obj = {};
  const headers = headersFromText(values.headers ?? '');
  if (values.clearHeaders && forPatch) out.headers = null;
  else if (Object.keys(headers).length > 0) out.headers = headers;
  const secret = values.secret ?? '';
  if (values.clearSecret && forPatch) out.secret = null;
  else if (secret !== '') out.secret = secret;
  return out;
}
