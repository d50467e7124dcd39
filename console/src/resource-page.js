// A page over one /v1 collection: a table of items and a form to create, view or change one. Only an admin
// key gets the New / Edit / Delete buttons (the API refuses the others' changes anyway).
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { ApiError, createItem, deleteItem, listItems, patchItem } from './api.js';
import { Field } from './field.js';
import { issuesByField, itemFromForm, toFormValue } from './form-values.js';

export function formValues(fields, item) {
  const v = {};
  for (const f of fields) v[f.name] = toFormValue(f, item ?? {});
  return v;
}

/**
 * props: title, resource, fields, columns [{ label, get(item), when?(item) (shown only when some item passes) }], role, intro?, Extra? (more form parts),
 * initExtra?(item, all) (their values), bodyExtra?(values, isNew) (their part of the body), afterSave?(key, values)
 * (their own requests), After? (read-only parts any role may use, outside the disabled fieldset), rowActions?(item, reload).
 */
export function ResourcePage(props) {
  const { title, resource, fields, columns, role } = props;
  const canEdit = role === 'admin';
  const [items, setItems] = useState(undefined);
  const [loadError, setLoadError] = useState('');
  const [editing, setEditing] = useState(undefined); // { item?, isNew, values }
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  const reload = async () => {
    try {
      setItems(await listItems(resource));
      setLoadError('');
    } catch (err) {
      setLoadError(err.message);
    }
  };
  useEffect(() => {
    reload();
  }, [resource]);

  const open = async (item) => {
    const extra = props.initExtra ? await props.initExtra(item) : {};
    setEditing({ item, isNew: item === undefined, values: { ...formValues(fields, item), ...extra } });
    setErrors({});
    setNotice('');
  };

  const setValue = (name, value) => setEditing((e) => ({ ...e, values: { ...e.values, [name]: value } }));

  const save = async (ev) => {
    ev.preventDefault();
    if (!canEdit || busy) return;
    setBusy(true);
    setErrors({});
    const { isNew, values, item } = editing;
    const body = { ...itemFromForm(fields, values, !isNew), ...(props.bodyExtra ? props.bodyExtra(values, isNew) : {}) };
    const key = isNew ? values[fields[0].name] : item[fields[0].name];
    try {
      if (isNew) await createItem(resource, body);
      else {
        delete body[fields[0].name];
        await patchItem(resource, key, body);
      }
      // Stored: a failure of the parts saved after it (a trunk's numbers) must not make Save create it again.
      if (isNew) setEditing((e) => ({ ...e, isNew: false, item: { ...body, [fields[0].name]: key } }));
      if (props.afterSave) await props.afterSave(key, values);
      setNotice(`Saved ${key}.`);
      setEditing(undefined);
      await reload();
    } catch (err) {
      const names = [...fields.map((f) => f.name), ...(props.extraFields ?? [])];
      if (err instanceof ApiError && err.issues.length > 0) setErrors(issuesByField(err.issues, names));
      else setErrors({ '': err.message });
      // A trunk saved before its numbers failed: the list shows what is stored now.
      await reload();
    } finally {
      setBusy(false);
    }
  };

  const remove = async (item) => {
    const key = item[fields[0].name];
    if (!window.confirm(`Delete ${key}?`)) return;
    try {
      await deleteItem(resource, key);
      setNotice(`Deleted ${key}.`);
      await reload();
    } catch (err) {
      setNotice('');
      setLoadError(`${key}: ${err.message}`);
    }
  };

  return html`<section aria-labelledby="page-title">
    <h2 id="page-title">${title}</h2>
    ${props.intro ? html`<p>${props.intro}</p>` : null}
    ${loadError ? html`<p class="error" role="alert">${loadError}</p>` : null}
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    ${canEdit && !editing ? html`<button class="primary" onClick=${() => open(undefined)}>New</button>` : null}
    ${editing ? html`<${EditForm} ...${props} editing=${editing} errors=${errors} busy=${busy} canEdit=${canEdit} setValue=${setValue} save=${save} close=${() => setEditing(undefined)} />` : null}
    <${ItemsTable} ...${props} items=${items} canEdit=${canEdit} open=${open} remove=${remove} reload=${reload} />
  </section>`;
}

/** The form of one item: disabled as a whole for a key that may not change it. */
function EditForm({ title, fields, Extra, After, editing, errors, busy, canEdit, setValue, save, close }) {
  return html`<form class="edit" onSubmit=${save} aria-label=${editing.isNew ? `New ${title}` : `${title}: ${editing.item[fields[0].name]}`} novalidate>
    <fieldset disabled=${!canEdit} style="border:0;padding:0;margin:0">
      ${fields.map((f) => html`<${Field} field=${{ ...f, readOnly: f === fields[0] && !editing.isNew ? true : f.readOnly }} value=${editing.values[f.name]}
          error=${errors[f.name]} onInput=${(v) => setValue(f.name, v)} />`)}
      ${Extra ? html`<${Extra} values=${editing.values} setValue=${setValue} errors=${errors} item=${editing.item} canEdit=${canEdit} />` : null}
    </fieldset>
    ${After ? html`<${After} values=${editing.values} />` : null}
    ${errors[''] ? html`<p class="error" role="alert" data-field="">${errors['']}</p>` : null}
    <div class="actions">
      ${canEdit ? html`<button class="primary" type="submit" disabled=${busy}>Save</button>` : null}
      <button type="button" onClick=${close}>${canEdit ? 'Cancel' : 'Close'}</button>
    </div>
  </form>`;
}

/** The items as a table, each with View (or Edit and Delete) and the page's own row actions. */
function ItemsTable({ title, fields, columns: all, items, canEdit, open, remove, reload, rowActions }) {
  if (items === undefined) return html`<p>Loading…</p>`;
  if (items.length === 0) return html`<p>None yet.</p>`;
  const columns = all.filter((c) => !c.when || items.some(c.when));
  const key = (it) => it[fields[0].name];
  return html`<table>
    <caption class="sr-only">${title}</caption>
    <thead><tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}<th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
    <tbody>
      ${items.map((it) => html`<tr>
        ${columns.map((c) => html`<td>${c.get(it)}</td>`)}
        <td>
          <button onClick=${() => open(it)} aria-label=${`${canEdit ? 'Edit' : 'View'} ${key(it)}`}>${canEdit ? 'Edit' : 'View'}</button>
          ${canEdit ? html` <button class="danger" onClick=${() => remove(it)} aria-label=${`Delete ${key(it)}`}>Delete</button>` : null}
          ${rowActions ? rowActions(it, reload) : null}
        </td>
      </tr>`)}
    </tbody>
  </table>`;
}
