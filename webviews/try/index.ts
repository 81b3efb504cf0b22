/**
 * "Try the model": one field per raw input feature (drop-downs for the schema's string domains,
 * number inputs with the training range as a hint), Predict, and the answer — class probabilities
 * as bars, or the regression value — with the version that answered. No network here: the
 * extension host sends the request (src/extension/models/tryPanel.ts).
 */
import type { FromTryMessage, ToTryMessage, TryAnswer, TryField, TryForm, TryValue } from '../../src/protocol/tryModel';
import { clear, h } from '../shared/dom';
import { formatNumber } from '../../src/core/format';
import { connect } from '../shared/host';

const channel = connect<ToTryMessage, FromTryMessage, { base: string }>();
const saved = channel.getState();
if (saved) channel.setState(saved);

const app = document.getElementById('app') ?? document.body;
let form: TryForm | undefined;
let running = true;
let serverMessage = '';
const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
const MISSING = '\u0000missing';

function hint(f: TryField): string {
  if (f.type !== 'number') return f.options ? `${f.options.length} values in the schema` : 'text';
  const parts: string[] = [];
  if (f.min !== undefined && f.max !== undefined) parts.push(`trained on ${formatNumber(f.min)} – ${formatNumber(f.max)}`);
  if (f.mean !== undefined) parts.push(`mean ${formatNumber(f.mean)}`);
  return parts.join(', ') || 'number';
}

function fieldInput(f: TryField): HTMLInputElement | HTMLSelectElement {
  const id = `f-${f.name}`;
  if (f.type === 'string' && f.options?.length) {
    const select = h('select', { id, name: f.name });
    select.append(h('option', { value: MISSING, text: '(missing)' }));
    const options = f.value !== null && !f.options.includes(String(f.value)) ? [...f.options, String(f.value)] : f.options;
    for (const o of options) select.append(h('option', { value: o, text: o }));
    select.value = f.value === null ? MISSING : String(f.value);
    return select;
  }
  const input = h('input', {
    id,
    name: f.name,
    type: f.type === 'number' ? 'number' : 'text',
    step: f.type === 'number' ? 'any' : undefined,
    placeholder: f.type === 'number' ? (f.mean !== undefined ? formatNumber(f.mean) : '') : '(missing)',
    'aria-describedby': `${id}-hint`,
  });
  input.value = f.value === null ? '' : String(f.value);
  return input;
}

/** The form's values as one `instances` row: an empty field or "(missing)" is null. */
function instance(): Record<string, TryValue> {
  const row: Record<string, TryValue> = {};
  for (const f of form?.fields ?? []) {
    const el = inputs.get(f.name);
    const raw = el?.value ?? '';
    if (raw === '' || raw === MISSING) row[f.name] = null;
    else if (f.type === 'number') row[f.name] = el instanceof HTMLInputElement && el.type === 'number' && Number.isFinite(el.valueAsNumber) ? el.valueAsNumber : raw;
    else row[f.name] = raw;
  }
  return row;
}

function submit(): void {
  clearFailure();
  const status = document.getElementById('status');
  if (status) status.textContent = 'Asking the server…';
  channel.post({ type: 'predict', instance: instance() });
}

function drawForm(): void {
  const f = form;
  if (!f) return;
  clear(app);
  inputs.clear();
  const grid = h('div', { class: 'fields' });
  for (const field of f.fields) {
    const el = fieldInput(field);
    inputs.set(field.name, el);
    grid.append(
      h(
        'div',
        { class: 'field', 'data-feature': field.name },
        h('label', { for: `f-${field.name}`, text: field.name }),
        el,
        h('span', { class: 'hint', id: `f-${field.name}-hint`, text: hint(field) }),
        h('span', { class: 'error', id: `f-${field.name}-error`, role: 'alert' }),
      ),
    );
  }
  const predict = h('button', { type: 'submit', id: 'predict', text: 'Predict', disabled: !running });
  const formEl = h(
    'form',
    { class: 'try', novalidate: true },
    grid,
    h('div', { class: 'actions' }, predict, h('span', { id: 'status', class: 'statusline', text: running ? '' : serverMessage })),
  );
  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  app.append(
    h(
      'header',
      {},
      h('h1', { text: `Try ${f.model}` }),
      h('p', { class: 'hint' }, h('code', { text: f.url }), f.task ? ` · ${f.task}${f.label ? ` of ${f.label}` : ''}` : '', f.example ? ` · prefilled with ${f.example}` : ''),
    ),
    h('div', { class: 'layout' }, h('section', { class: 'inputs', 'aria-label': 'Raw input features' }, formEl), h('section', { id: 'answer', class: 'answer', 'aria-live': 'polite' }, h('p', { class: 'hint', text: 'Predict sends these features to the local server and shows its answer here.' }))),
  );
  channel.post({ type: 'rendered', render: { kind: 'form', fields: f.fields.map((x) => x.name) } });
}

function drawAnswer(a: TryAnswer): void {
  const box = document.getElementById('answer');
  const status = document.getElementById('status');
  if (status) status.textContent = '';
  if (!box) return;
  clear(box);
  const prediction = typeof a.prediction === 'number' ? formatNumber(a.prediction) : a.prediction;
  box.append(h('h2', { text: 'Answer' }), h('p', { class: 'prediction' }, h('span', { class: 'value', text: prediction })), h('p', { class: 'hint', text: `answered by version ${a.version || '(default)'} in ${a.elapsedMs} ms` }));
  const bars: { name: string; probability: number }[] = [];
  if (a.classes?.length) {
    const chart = h('div', { class: 'bars', role: 'img', 'aria-label': 'Probability of each class' });
    for (const c of a.classes) {
      const pct = Math.max(0, Math.min(1, c.probability)) * 100;
      const fill = h('div', { class: 'fill' });
      fill.style.width = `${pct}%`;
      chart.append(
        h(
          'div',
          { class: `bar${c.name === a.prediction ? ' top' : ''}`, 'data-class': c.name },
          h('span', { class: 'name', text: c.name }),
          h('div', { class: 'track' }, fill),
          h('span', { class: 'pct', text: pct > 0 && pct < 0.1 ? '<0.1%' : `${pct.toFixed(1)}%` }),
        ),
      );
      bars.push({ name: c.name, probability: c.probability });
    }
    box.append(chart);
  }
  channel.post({ type: 'rendered', render: { kind: 'answer', prediction: String(a.prediction), version: a.version, bars } });
}

function clearFailure(): void {
  for (const el of document.querySelectorAll('.field.invalid')) el.classList.remove('invalid');
  for (const el of document.querySelectorAll('.field .error')) el.textContent = '';
  document.getElementById('failure')?.remove();
}

function drawFailure(message: string, feature?: string): void {
  clearFailure();
  const status = document.getElementById('status');
  if (status) status.textContent = '';
  const field = feature ? document.querySelector(`.field[data-feature="${CSS.escape(feature)}"]`) : null;
  if (field) {
    field.classList.add('invalid');
    const err = field.querySelector('.error');
    if (err) err.textContent = message;
    inputs.get(feature ?? '')?.setAttribute('aria-invalid', 'true');
  }
  const box = document.getElementById('answer');
  const note = h('div', { id: 'failure', class: 'failure', role: 'alert' }, h('strong', { text: feature ? `The server refused '${feature}': ` : 'The server refused the request: ' }), message);
  if (box) {
    clear(box);
    box.append(note);
  } else app.append(note);
  channel.post({ type: 'rendered', render: { kind: 'failure', message, ...(feature ? { feature } : {}) } });
}

channel.onMessage((m) => {
  switch (m.type) {
    case 'form':
      form = m.form;
      running = true;
      drawForm();
      break;
    case 'server': {
      running = m.running;
      serverMessage = m.message ?? '';
      const button = document.getElementById('predict') as HTMLButtonElement | null;
      if (button) button.disabled = !running;
      const status = document.getElementById('status');
      if (status) status.textContent = running ? '' : serverMessage;
      if (!form) {
        clear(app);
        app.append(h('p', { class: 'hint', text: serverMessage || 'Waiting for the server…' }));
      }
      channel.post({ type: 'rendered', render: { kind: 'server', message: serverMessage } });
      break;
    }
    case 'answer':
      drawAnswer(m.answer);
      break;
    case 'failure':
      drawFailure(m.message, m.feature);
      break;
    case 'submit':
      submit();
      break;
  }
});
channel.ready();
