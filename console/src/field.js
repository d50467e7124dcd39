// One labelled form control with its help text and its API error (announced, and tied to the control).
import { html } from './html.js';

export function Field({ field, value, error, disabled, onInput }) {
  const id = `f-${field.name.replace(/\W/g, '-')}`;
  const described = [field.help ? `${id}-help` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, name: field.name, disabled, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': described };
  let control;
  if (field.type === 'select') {
    control = html`<select ...${common} value=${value} onChange=${(e) => onInput(e.currentTarget.value)}>
      <option value="">${field.placeholder ?? '(default)'}</option>
      ${field.options.map((o) => html`<option value=${o}>${o}</option>`)}
    </select>`;
  } else if (field.type === 'list') {
    control = html`<textarea ...${common} rows="3" value=${value} onInput=${(e) => onInput(e.currentTarget.value)} placeholder=${field.placeholder}></textarea>`;
  } else if (field.type === 'checkbox') {
    control = html`<input type="checkbox" ...${common} checked=${value === true} onChange=${(e) => onInput(e.currentTarget.checked)} />`;
  } else {
    const type = field.type === 'password' ? 'password' : 'text';
    const inputMode = field.type === 'number' ? 'numeric' : undefined;
    control = html`<input type=${type} inputmode=${inputMode} autocomplete=${field.type === 'password' ? 'new-password' : 'off'} ...${common} value=${value}
      readonly=${field.readOnly === true} required=${field.required === true} placeholder=${field.placeholder} onInput=${(e) => onInput(e.currentTarget.value)} />`;
  }
  return html`<div class="field">
    <label for=${id}>${field.label}${field.required ? ' (required)' : ''}</label>
    ${control}
    ${field.help ? html`<div class="help" id=${`${id}-help`}>${field.help}</div>` : null}
    ${error ? html`<div class="error" id=${`${id}-err`} role="alert" data-field=${field.name}>${error}</div>` : null}
  </div>`;
}
