/**
 * The script of a web push's `index.html` (`pipewise-demo.js`): reads the form the Pusher generated
 * from the model's raw features, predicts in the page with `pipewise-model.js` beside it and shows
 * the answer. No inline script or style (the page's CSP forbids both), no remote content.
 */
import type { WebModel } from './predictor';
import { errorMessage } from '../core/errors';

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

/** The form's values as an instance: numbers for numeric features, '' → null (a missing value). */
function instanceOf(model: WebModel, form: HTMLFormElement): Record<string, number | string | null> {
  const data = new FormData(form);
  const out: Record<string, number | string | null> = {};
  for (const input of model.signature.inputs) {
    const raw = String(data.get(input.name) ?? '');
    if (raw.trim() === '') out[input.name] = null;
    else if (input.type === 'number') out[input.name] = Number(raw);
    else out[input.name] = raw;
  }
  return out;
}

function show(model: WebModel, p: Awaited<ReturnType<WebModel['predict']>>[number]): void {
  const result = $('result');
  result.replaceChildren();
  const head = document.createElement('p');
  head.className = 'prediction';
  const name = document.createElement('span');
  name.textContent = `${model.signature.label}: `;
  const value = document.createElement('strong');
  value.id = 'prediction';
  value.textContent = typeof p.prediction === 'number' ? p.prediction.toLocaleString(undefined, { maximumFractionDigits: 4 }) : p.prediction;
  head.append(name, value);
  result.append(head);
  const classes = model.signature.classes ?? [];
  const scores = p.scores ?? (p.score !== undefined ? [1 - p.score, p.score] : undefined);
  if (!scores) return;
  const list = document.createElement('div');
  list.className = 'scores';
  scores.forEach((s, k) => {
    const row = document.createElement('div');
    row.className = 'score';
    const label = document.createElement('span');
    label.className = 'class';
    label.textContent = classes[k] ?? String(k);
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.width = `${(100 * s).toFixed(1)}%`; // CSSOM, allowed by style-src 'self'
    bar.append(fill);
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = `${(100 * s).toFixed(1)} %`;
    row.append(label, bar, pct);
    list.append(row);
  });
  result.append(list);
}

async function main(): Promise<void> {
  const status = $('status');
  const form = $('form') as HTMLFormElement;
  try {
    const { load } = (await import(new URL('./pipewise-model.js', import.meta.url).href)) as { load: (base?: string) => Promise<WebModel> };
    const model = await load();
    status.textContent = `Model loaded: ${model.signature.task}, ${model.signature.inputs.length} raw features.`;
    const predict = async (): Promise<void> => {
      try {
        const [p] = await model.predict([instanceOf(model, form)]);
        if (p) show(model, p);
        status.textContent = `Predicted in this page (${model.signature.modelFormat === 'onnx' ? 'ONNX Runtime Web' : model.signature.modelFormat === 'ydf' ? 'Yggdrasil Decision Forests, wasm' : 'TensorFlow.js'}, no server).`;
        status.classList.remove('error');
      } catch (e) {
        status.textContent = errorMessage(e);
        status.classList.add('error');
      }
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void predict();
    });
    ($('predict') as HTMLButtonElement).disabled = false;
    document.body.dataset.ready = 'true';
  } catch (e) {
    status.textContent = `Cannot load the model: ${errorMessage(e)}`;
    status.classList.add('error');
  }
}

void main();
