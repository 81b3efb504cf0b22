/**
 * The pipeline graph webview: lays out stages and artifacts with ELK (left to right in a wide panel,
 * top to bottom in a tall one; in this thread: no web worker, nothing remote), draws them as SVG in the theme's colours, shows each stage's live
 * status, and sends the user's actions back to the extension. It announces `ready` before the
 * extension sends anything and acknowledges every drawing with `rendered`.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import { targetOf, type FromGraphMessage, type GraphAction, type GraphLayoutSetting, type GraphModel, type GraphNode, type GraphWebviewState, type RunView, type ToGraphMessage } from '../../src/protocol/graph';
import { formatDuration } from '../../src/core/format';
import { connect } from '../shared/host';
import { ICONS } from './icons';
import { farLabels } from './farLabels';
import { layoutDirection, layoutInput, layoutSignature, type LayoutDirection } from './layoutInput';
import { errorMessage } from '../../src/protocol/errors';

const vscode = connect<ToGraphMessage, FromGraphMessage, GraphWebviewState>();
const SVG = 'http://www.w3.org/2000/svg';
const elk = new ELK();

interface Placed {
  readonly node: GraphNode;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly el: SVGGElement;
}

let model: GraphModel | undefined;
let trusted = true;
let layoutSetting: GraphLayoutSetting = 'auto';
let run: RunView = { running: false, stages: {} };
let laidOut: { signature: string; layout: ElkNode; direction: LayoutDirection } | undefined;
let placed = new Map<string, Placed>();
let view = { x: 0, y: 0, k: 1 };
let selected: string | undefined = vscode.getState()?.selected;
let layoutSeq = 0;

const $ = <T extends Element>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
};
const svg = $<SVGSVGElement>('#graph');
const viewport = $<SVGGElement>('#viewport');
const farLayer = $<SVGGElement>('#far-labels');
const banner = $<HTMLDivElement>('#banner');
const title = $<HTMLSpanElement>('#title');
const summary = $<HTMLSpanElement>('#summary');
const runButton = $<HTMLButtonElement>('#run');
const cancelButton = $<HTMLButtonElement>('#cancel');
const exportButton = $<HTMLButtonElement>('#export');
const menu = $<HTMLDivElement>('#menu');

const saved = vscode.getState();
if (saved?.zoom) view = { ...saved.zoom };
/** A restored view keeps its pan and zoom; a new one fits the graph once it is laid out. */
const restoredZoom = !!saved?.zoom;

function saveState(): void {
  if (!model) return;
  vscode.setState({ file: model.file, zoom: view, ...(selected ? { selected } : {}) });
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

/** A node's status: a stage's own; an artifact's is its producer's; a missing stage is broken. */
function statusOf(n: GraphNode): string {
  if (n.kind === 'missing') return 'broken';
  const stage = n.kind === 'stage' ? n.id : n.stage;
  const s = stage ? run.stages[stage] : undefined;
  if (n.kind === 'artifact') {
    if (!s) return 'none';
    return s.status === 'succeeded' || s.status === 'cached' ? s.status : s.status === 'running' ? 'pending' : s.status;
  }
  return s?.status ?? 'none';
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function post(m: FromGraphMessage): void {
  vscode.post(m);
}

function acknowledge(): void {
  post({
    type: 'rendered',
    nodes: [...placed.values()].map((p) => ({ id: p.node.id, status: p.el.dataset.status ?? 'none' })),
    ...(run.runId ? { runId: run.runId } : {}),
  });
}

async function render(): Promise<void> {
  if (!model) return;
  const m = model;
  title.textContent = m.pipeline || m.file.split(/[\\/]/).pop() || '';
  if (m.stale) {
    banner.hidden = false;
    banner.textContent = `Line ${m.stale.line}, column ${m.stale.col}: ${m.stale.message}${m.nodes.length ? ' — showing the last version that could be read.' : ''}`;
  } else if (m.errorCount) {
    banner.hidden = false;
    banner.textContent = `${m.errorCount} problem${m.errorCount === 1 ? '' : 's'} in the file: broken parts are marked.`;
  } else {
    banner.hidden = true;
  }
  const seq = ++layoutSeq;
  const { direction, layout, signature } = await bestLayout(m);
  if (seq !== layoutSeq || model !== m) return; // a newer model arrived while ELK worked
  if (!laidOut || laidOut.signature !== signature) {
    const first = !laidOut;
    const turned = !!laidOut && laidOut.direction !== direction;
    laidOut = { signature, layout, direction };
    draw();
    if ((first && !restoredZoom) || turned) fit();
  } else {
    draw();
  }
}

/** Layouts by signature (direction + structure), so a resize can choose again without ELK. */
const layouts = new Map<string, ElkNode>();

async function layoutOf(m: GraphModel, direction: LayoutDirection): Promise<{ direction: LayoutDirection; layout: ElkNode; signature: string }> {
  const signature = layoutSignature(m, direction);
  let layout = layouts.get(signature);
  if (!layout) {
    layout = await elk.layout(layoutInput(m, direction));
    if (layouts.size > 8) layouts.clear();
    layouts.set(signature, layout);
  }
  return { direction, layout, signature };
}

/**
 * The layout to draw: the setting's direction, or (auto) whichever of top-to-bottom and
 * left-to-right shows the graph larger at Fit in this panel; on a tie, top to bottom when the
 * panel is taller than wide.
 */
async function bestLayout(m: GraphModel): Promise<{ direction: LayoutDirection; layout: ElkNode; signature: string }> {
  const box = svg.getBoundingClientRect();
  const preferred = layoutDirection(layoutSetting, box.width, box.height);
  if (layoutSetting !== 'auto') return layoutOf(m, preferred);
  const a = await layoutOf(m, preferred);
  const b = await layoutOf(m, preferred === 'DOWN' ? 'RIGHT' : 'DOWN');
  const scale = (l: ElkNode) => Math.min(box.width / Math.max(1, l.width ?? 0), box.height / Math.max(1, l.height ?? 0));
  return scale(b.layout) > scale(a.layout) * 1.05 ? b : a;
}

function draw(): void {
  if (!model || !laidOut) return;
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const edgeById = new Map(model.edges.map((e) => [e.id, e]));
  viewport.replaceChildren();
  placed = new Map();
  const edgesLayer = el('g', { class: 'edges' }, viewport);
  const nodesLayer = el('g', { class: 'nodes' }, viewport);
  for (const e of (laidOut.layout.edges ?? []) as ElkExtendedEdge[]) {
    const src = edgeById.get(e.id);
    for (const s of e.sections ?? []) {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');
      const path = el('path', { d, class: `edge${src?.broken ? ' broken' : ''}`, 'marker-end': 'url(#arrow)' }, edgesLayer);
      if (src?.label) el('title', {}, path).textContent = src.label;
    }
  }
  for (const c of laidOut.layout.children ?? []) {
    const n = byId.get(c.id);
    if (!n) continue;
    const x = c.x ?? 0;
    const y = c.y ?? 0;
    const w = c.width ?? 0;
    const h = c.height ?? 0;
    const compact = laidOut.direction === 'DOWN';
    const g = el('g', { class: `node ${n.kind}${n.problems.length ? ' has-problems' : ''}`, transform: `translate(${x},${y})`, tabindex: 0, role: 'button' }, nodesLayer);
    g.dataset.id = n.id;
    g.dataset.kind = n.kind;
    el('rect', { class: 'box', width: w, height: h, rx: n.kind === 'artifact' ? h / 2 : 6 }, g);
    el('rect', { class: 'progress', x: 1, y: h - 4, width: 0, height: 3, rx: 1.5 }, g);
    const iconScale = compact && n.kind === 'artifact' ? 0.75 : 1;
    const icon = el('g', { class: 'icon', transform: `translate(${compact && n.kind === 'artifact' ? 8 : 10},${n.kind === 'artifact' ? (h - 16 * iconScale) / 2 : compact ? 6 : 8}) scale(${iconScale})` }, g);
    el('path', { d: ICONS[n.icon] ?? ICONS.file ?? '' }, icon);
    if (n.kind === 'stage' || n.kind === 'missing') {
      el('text', { class: 'label', x: 34, y: compact ? 18 : 21 }, g).textContent = truncate(n.label, 15);
      el('text', { class: 'detail', x: 34, y: compact ? 32 : 38 }, g).textContent = truncate(n.detail, 19);
      el('text', { class: 'status-text', x: 34, y: compact ? 43 : 50 }, g);
      el('circle', { class: 'dot', cx: w - 12, cy: 15, r: 5 }, g);
    } else {
      el('text', { class: 'label', x: compact ? 24 : 30, y: compact ? 13 : 17 }, g).textContent = truncate(n.label, compact ? 22 : 12);
    }
    const tip = el('title', {}, g);
    tip.textContent = [`${n.label} — ${n.detail}`, ...n.problems].join('\n');
    placed.set(n.id, { node: n, x, y, w, h, el: g });
  }
  const width = laidOut.layout.width ?? 0;
  const height = laidOut.layout.height ?? 0;
  viewport.dataset.width = String(width);
  viewport.dataset.height = String(height);
  applyRun();
  applyView();
  if (selected && placed.has(selected)) placed.get(selected)?.el.classList.add('selected');
}

/** Statuses, durations and progress, updated in place (no relayout). */
function applyRun(): void {
  for (const p of placed.values()) {
    const status = statusOf(p.node);
    const g = p.el;
    g.dataset.status = status;
    g.setAttribute('class', `node ${p.node.kind} status-${status}${p.node.problems.length ? ' has-problems' : ''}${selected === p.node.id ? ' selected' : ''}`);
    const stage = p.node.kind === 'stage' ? run.stages[p.node.id] : undefined;
    const text = g.querySelector<SVGTextElement>('.status-text');
    if (text) {
      text.textContent =
        status === 'running'
          ? stage?.fraction !== undefined
            ? `${Math.round(stage.fraction * 100)}%`
            : 'running'
          : status === 'none'
            ? ''
            : status === 'succeeded' || status === 'cached' || status === 'failed'
              ? `${status === 'cached' ? 'cached ' : ''}${formatDuration(stage?.durationMs)}`
              : status;
    }
    const bar = g.querySelector<SVGRectElement>('.progress');
    if (bar) bar.setAttribute('width', String(status === 'running' ? Math.max(8, (p.w - 2) * (stage?.fraction ?? 0.15)) : 0));
    g.setAttribute('aria-label', `${p.node.kind} ${p.node.label}, ${p.node.detail}, ${status === 'none' ? 'not run' : status}${p.node.problems.length ? `, ${p.node.problems.length} problem(s)` : ''}`);
    const tip = g.querySelector('title');
    if (tip) tip.textContent = [`${p.node.label} — ${p.node.detail}`, ...p.node.problems, ...(stage?.error ? [stage.error] : []), ...(stage?.message ? [stage.message] : [])].join('\n');
  }
  // For tests and screen readers: which run the drawing shows, and whether it is still going.
  svg.dataset.runId = run.runId ?? '';
  svg.dataset.running = String(run.running);
  const stages = Object.values(run.stages);
  const done = stages.filter((s) => !['pending', 'running'].includes(s.status)).length;
  summary.textContent = run.running
    ? `Running… ${done}/${stages.length}`
    : run.status
      ? `Last run ${run.status}${run.durationMs ? ` in ${formatDuration(run.durationMs)}` : ''}${run.backend ? ` · TF.js ${run.backend}` : ''}`
      : '';
  summary.title = summary.textContent;
  runButton.disabled = run.running || !trusted || !!model?.errorCount;
  runButton.title = !trusted ? 'Running is disabled in an untrusted workspace' : model?.errorCount ? 'Fix the problems in the file to run' : 'Run the pipeline';
  cancelButton.hidden = !run.running;
  exportButton.disabled = !trusted || !!model?.errorCount;
  exportButton.title = !trusted ? 'Exporting is disabled in an untrusted workspace' : model?.errorCount ? 'Fix the problems in the file to export' : 'Export to Kubeflow Pipelines…';
  acknowledge();
}

/** Below this scale a stage's 13 px name would draw under 11 px: names move to the far layer. */
const LEGIBLE_SCALE = 11 / 13;
const MIN_ZOOM = 0.002;

function applyView(): void {
  viewport.setAttribute('transform', `translate(${view.x},${view.y}) scale(${view.k})`);
  const far = view.k < LEGIBLE_SCALE;
  svg.classList.toggle('far', far);
  drawFarLabels(far);
  svg.dataset.zoom = String(view.k);
  saveState();
}

/**
 * Zoomed out past legibility, stage names are drawn at screen size (12 px) beside their node,
 * as many as fit without overlapping, the way a map drops town names.
 */
function drawFarLabels(far: boolean): void {
  farLayer.replaceChildren();
  if (!far) return;
  const box = svg.getBoundingClientRect();
  const stages = [...placed.values()].filter((p) => p.node.kind !== 'artifact');
  const shown = farLabels(
    stages.map((p) => ({ id: p.node.id, text: p.node.label, x: (p.x + p.w / 2) * view.k + view.x, y: (p.y + p.h / 2) * view.k + view.y })),
    { width: box.width, height: box.height, charWidth: 7 },
  );
  for (const l of shown) {
    const g = el('g', { class: 'far-label', transform: `translate(${l.x},${l.y})` }, farLayer);
    g.dataset.id = l.id;
    el('rect', { x: -l.width / 2 - 3, y: -9, width: l.width + 6, height: 18, rx: 3 }, g);
    el('text', { x: 0, y: 4, 'text-anchor': 'middle' }, g).textContent = l.text;
  }
}

function fit(): void {
  const w = Number(viewport.dataset.width ?? 0);
  const h = Number(viewport.dataset.height ?? 0);
  const box = svg.getBoundingClientRect();
  if (!w || !h || !box.width || !box.height) return;
  // Fit the whole graph; a large one draws its names in the far layer.
  const k = Math.max(MIN_ZOOM, Math.min(1.25, Math.min(box.width / w, box.height / h)));
  view = { k, x: (box.width - w * k) / 2, y: (box.height - h * k) / 2 };
  applyView();
}

function zoomAt(factor: number, cx: number, cy: number): void {
  const k = Math.min(4, Math.max(MIN_ZOOM, view.k * factor));
  view = { k, x: cx - ((cx - view.x) * k) / view.k, y: cy - ((cy - view.y) * k) / view.k };
  applyView();
}

function select(id: string | undefined, focus = true): void {
  if (selected) placed.get(selected)?.el.classList.remove('selected');
  selected = id;
  const p = id ? placed.get(id) : undefined;
  if (!p) return;
  p.el.classList.add('selected');
  if (focus) p.el.focus({ preventScroll: true });
  // Keep the selection in view.
  const box = svg.getBoundingClientRect();
  const sx = p.x * view.k + view.x;
  const sy = p.y * view.k + view.y;
  if (sx < 0 || sy < 0 || sx + p.w * view.k > box.width || sy + p.h * view.k > box.height) {
    view = { ...view, x: box.width / 2 - (p.x + p.w / 2) * view.k, y: box.height / 2 - (p.y + p.h / 2) * view.k };
    applyView();
  }
  saveState();
}

function neighbour(id: string, key: string): string | undefined {
  const p = placed.get(id);
  if (!p || !model) return undefined;
  const edges = model.edges;
  if (key === 'ArrowRight') return edges.find((e) => e.source === id && placed.has(e.target))?.target;
  if (key === 'ArrowLeft') return edges.find((e) => e.target === id && placed.has(e.source))?.source;
  // Up/down: the nearest node in the same column.
  const column = [...placed.values()].filter((q) => Math.abs(q.x + q.w / 2 - (p.x + p.w / 2)) < 40).sort((a, b) => a.y - b.y);
  const i = column.findIndex((q) => q.node.id === id);
  const next = column[key === 'ArrowUp' ? i - 1 : i + 1];
  return next?.node.id;
}

function closeMenu(): void {
  menu.hidden = true;
  menu.replaceChildren();
}

function openMenu(id: string, x: number, y: number): void {
  const p = placed.get(id);
  if (!p) return;
  const n = p.node;
  const canRun = trusted && !run.running && !model?.errorCount;
  const items: [GraphAction, string, boolean][] =
    n.kind === 'stage'
      ? [
          ['runStage', 'Run this stage', canRun],
          ['runFrom', 'Run from here', canRun],
          ['showLogs', 'Show logs', true],
          ['openOutputs', 'Open outputs', true],
          ['reveal', 'Reveal in file', true],
        ]
      : n.kind === 'artifact'
        ? [
            ['openOutputs', 'Open this artifact', true],
            ['reveal', 'Reveal the stage that writes it', true],
          ]
        : [['reveal', 'Reveal where it is read', true]];
  menu.replaceChildren();
  for (const [action, label, enabled] of items) {
    const b = document.createElement('button');
    b.textContent = label;
    b.disabled = !enabled;
    b.dataset.action = action;
    b.addEventListener('click', () => {
      closeMenu();
      post({ type: 'action', action, target: targetOf(n) });
    });
    menu.appendChild(b);
  }
  menu.hidden = false;
  menu.style.left = `${Math.min(x, window.innerWidth - 220)}px`;
  menu.style.top = `${Math.min(y, window.innerHeight - items.length * 28 - 10)}px`;
  (menu.querySelector('button:not([disabled])') as HTMLButtonElement | null)?.focus();
}

function nodeOf(target: EventTarget | null): string | undefined {
  const g = (target as Element | null)?.closest?.('g.node') as SVGGElement | null;
  return g?.dataset.id;
}

// Pan with the pointer on the background, zoom with the wheel around the pointer.
let drag: { x: number; y: number; vx: number; vy: number } | undefined;
svg.addEventListener('pointerdown', (e) => {
  closeMenu();
  if (e.button !== 0 || nodeOf(e.target)) return;
  drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
  svg.setPointerCapture(e.pointerId);
  svg.classList.add('panning');
});
svg.addEventListener('pointermove', (e) => {
  if (!drag) return;
  view = { ...view, x: drag.vx + e.clientX - drag.x, y: drag.vy + e.clientY - drag.y };
  applyView();
});
svg.addEventListener('pointerup', () => {
  drag = undefined;
  svg.classList.remove('panning');
});
svg.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const box = svg.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - box.left, e.clientY - box.top);
  },
  { passive: false },
);
svg.addEventListener('click', (e) => {
  const id = nodeOf(e.target);
  if (!id) return;
  select(id);
  const node = placed.get(id)?.node;
  if (node) post({ type: 'action', action: 'reveal', target: targetOf(node) });
});
svg.addEventListener('contextmenu', (e) => {
  const id = nodeOf(e.target);
  if (!id) return;
  e.preventDefault();
  select(id);
  openMenu(id, e.clientX, e.clientY);
});
svg.addEventListener('keydown', (e) => {
  const id = nodeOf(e.target) ?? selected;
  if (e.key.startsWith('Arrow')) {
    e.preventDefault();
    const next = id ? neighbour(id, e.key) : [...placed.keys()][0];
    if (next) select(next);
  } else if (e.key === 'Enter' && id) {
    const node = placed.get(id)?.node;
    if (node) post({ type: 'action', action: 'reveal', target: targetOf(node) });
  } else if ((e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10')) && id) {
    e.preventDefault();
    const r = placed.get(id)?.el.getBoundingClientRect();
    openMenu(id, r?.left ?? 0, r?.bottom ?? 0);
  }
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') closeMenu();
  if ((e.target as Element | null)?.closest?.('#menu')) return;
  if (e.key === '+' || e.key === '=') zoomAt(1.2, svg.clientWidth / 2, svg.clientHeight / 2);
  else if (e.key === '-') zoomAt(1 / 1.2, svg.clientWidth / 2, svg.clientHeight / 2);
  else if (e.key === '0') fit();
});
svg.addEventListener('focusin', (e) => {
  const id = nodeOf(e.target);
  if (id && id !== selected) select(id, false);
});

runButton.addEventListener('click', () => post({ type: 'runPipeline' }));
cancelButton.addEventListener('click', () => post({ type: 'cancelRun' }));
exportButton.addEventListener('click', () => post({ type: 'exportKfp' }));
$<HTMLButtonElement>('#fit').addEventListener('click', fit);
$<HTMLButtonElement>('#zoom-in').addEventListener('click', () => zoomAt(1.25, svg.clientWidth / 2, svg.clientHeight / 2));
$<HTMLButtonElement>('#zoom-out').addEventListener('click', () => zoomAt(1 / 1.25, svg.clientWidth / 2, svg.clientHeight / 2));

vscode.onMessage((msg) => {
  try {
    switch (msg.type) {
      case 'pipeline':
        model = msg.model;
        trusted = msg.trusted;
        layoutSetting = msg.layout ?? 'auto';
        void render().catch((e: unknown) => post({ type: 'error', message: errorMessage(e) }));
        break;
      case 'run':
        run = msg.run;
        if (placed.size) applyRun();
        break;
      case 'fit':
        fit();
        break;
    }
  } catch (e) {
    post({ type: 'error', message: errorMessage(e) });
  }
});

// A panel turned from wide to tall (or back) is laid out again in the other direction and fitted.
new ResizeObserver(() => {
  if (laidOut && model) void render().catch((e: unknown) => post({ type: 'error', message: errorMessage(e) }));
  if (view.k < LEGIBLE_SCALE) drawFarLabels(true);
}).observe(svg);

vscode.ready();
