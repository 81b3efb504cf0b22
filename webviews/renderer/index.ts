/**
 * Pipewise's notebook renderer (`contributes.notebookRenderer`): draws Vega-Lite charts
 * (`application/vnd.vegalite.v5+json`) with vega-interpreter, so no `unsafe-eval`, in the theme's
 * colours; a chart updated while training runs keeps its view and only swaps its data, so it does
 * not flicker; each chart can be saved as PNG or SVG. Also draws TFDV statistics
 * (`application/vnd.pipewise.statistics+json`) as a table with small histograms.
 */
import type { View } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLite } from '../shared/vega';
import { renderStatistics, type StatisticsList } from './statistics';
import rendererCss from '../../media/renderer.css' with { type: 'text' };
import { errorMessage } from '../../src/protocol/errors';

/** The parts of VS Code's renderer API used here (the `vscode-notebook-renderer` types). */
interface OutputItem {
  readonly id: string;
  readonly mime: string;
  json(): unknown;
  text(): string;
}
interface RendererContext {
  postMessage?(message: unknown): void;
}
interface RendererApi {
  renderOutputItem(item: OutputItem, element: HTMLElement, signal: AbortSignal): Promise<void>;
  disposeOutputItem?(id?: string): void;
}

const VEGA_LITE = 'application/vnd.vegalite.v5+json';
const STATISTICS = 'application/vnd.pipewise.statistics+json';
/** Name of the training chart's dataset (src/protocol/notebookCharts.ts METRICS_DATASET). */
const METRICS_DATASET = 'metrics';

interface ChartState {
  view: View;
  /** The spec without its data values: equal keys mean only the data changed. */
  shapeKey: string;
  spec: Record<string, unknown>;
  host: HTMLElement;
  outputId: string;
}

const charts = new Map<HTMLElement, ChartState>();

function shapeKey(spec: Record<string, unknown>): string {
  const data = spec.data as { name?: string; values?: unknown } | undefined;
  return JSON.stringify({ ...spec, data: data ? { ...data, values: undefined } : undefined });
}

/** The renderer's styles travel inside the bundle: the output webview loads nothing else of ours. */
function loadStyles(): void {
  if (document.getElementById('pipewise-renderer-css')) return;
  const style = document.createElement('style');
  style.id = 'pipewise-renderer-css';
  style.textContent = rendererCss;
  document.head.appendChild(style);
}

export function activate(ctx: RendererContext): RendererApi {
  loadStyles();
  // Theme changes re-colour every chart (VS Code swaps the body's theme class).
  new MutationObserver(() => {
    for (const [element, state] of charts) void drawChart(ctx, element, state.spec, state.outputId, true);
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

  return {
    async renderOutputItem(item, element, signal) {
      try {
        if (item.mime === VEGA_LITE) await drawChart(ctx, element, item.json() as Record<string, unknown>, item.id, false, signal);
        else if (item.mime === STATISTICS) {
          forget(element);
          element.replaceChildren(renderStatistics(item.json() as StatisticsList));
        }
      } catch (e) {
        const pre = document.createElement('pre');
        pre.className = 'pw-error';
        pre.textContent = `Pipewise could not draw this output: ${errorMessage(e)}`;
        element.replaceChildren(pre);
      }
    },
    disposeOutputItem(id) {
      for (const [element, state] of charts) if (id === undefined || state.outputId === id) forget(element);
    },
  };
}

function forget(element: HTMLElement): void {
  const s = charts.get(element);
  if (!s) return;
  s.view.finalize();
  charts.delete(element);
}

async function drawChart(ctx: RendererContext, element: HTMLElement, spec: Record<string, unknown>, outputId: string, force: boolean, signal?: AbortSignal): Promise<void> {
  const previous = charts.get(element);
  const key = shapeKey(spec);
  const data = spec.data as { name?: string; values?: unknown[] } | undefined;
  // Same chart, new points (a training curve growing): swap the data inside the existing view.
  if (!force && previous && previous.shapeKey === key && data?.name === METRICS_DATASET && Array.isArray(data.values) && element.contains(previous.host)) {
    try {
      await previous.view.data(METRICS_DATASET, data.values).runAsync();
      previous.spec = spec;
      previous.outputId = outputId;
      describe(element, spec);
      return;
    } catch {
      // The compiled view has no such dataset: draw it anew below.
    }
  }
  // Draw off to the side, then swap: the old chart stays until the new one is ready.
  const host = document.createElement('div');
  host.className = 'pw-chart';
  const plot = document.createElement('div');
  plot.className = 'pw-plot';
  host.append(plot, toolbar(ctx, () => charts.get(element)?.view, spec));
  const view = await renderVegaLite(plot, spec as unknown as TopLevelSpec);
  if (signal?.aborted) {
    view.finalize();
    return;
  }
  previous?.view.finalize();
  element.replaceChildren(host);
  describe(element, spec);
  charts.set(element, { view, shapeKey: key, spec, host, outputId });
}

/** What the chart shows, on the output element: tests and people's devtools read it. */
function describe(element: HTMLElement, spec: Record<string, unknown>): void {
  const values = (spec.data as { values?: unknown[] } | undefined)?.values;
  element.dataset.points = String(Array.isArray(values) ? values.length : 0);
  const steps = Array.isArray(values) ? values.map((v) => Number((v as { step?: unknown }).step)).filter(Number.isFinite) : [];
  if (steps.length) element.dataset.steps = String(Math.max(...steps));
  const live = (spec.usermeta as { pipewise?: { live?: boolean } } | undefined)?.pipewise?.live;
  if (live !== undefined) element.dataset.live = String(live);
}

function toolbar(ctx: RendererContext, view: () => View | undefined, spec: Record<string, unknown>): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'pw-actions';
  const name = typeof spec.title === 'string' ? spec.title.replace(/[^\w-]+/g, '_') : 'chart';
  for (const format of ['png', 'svg'] as const) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = `Save ${format.toUpperCase()}`;
    b.title = `Save this chart as ${format.toUpperCase()}`;
    b.addEventListener('click', () => {
      const v = view();
      if (!v) return;
      const data = format === 'png' ? v.toImageURL('png', 2) : v.toSVG();
      void data.then((d) => {
        if (ctx.postMessage) ctx.postMessage({ type: 'saveChart', format, data: d, name });
        else download(d, `${name}.${format}`, format);
      });
    });
    bar.appendChild(b);
  }
  return bar;
}

/** Without messaging (a renderer outside VS Code), an ordinary download link. */
function download(data: string, filename: string, format: 'png' | 'svg'): void {
  const a = document.createElement('a');
  a.download = filename;
  a.href = format === 'png' ? data : URL.createObjectURL(new Blob([data], { type: 'image/svg+xml' }));
  a.click();
}
