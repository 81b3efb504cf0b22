/**
 * Draws Vega-Lite specs in a webview or the notebook renderer without `unsafe-eval`: Vega parses
 * expressions to an AST and `vega-interpreter` evaluates them, so the CSP stays strict.
 * Colours follow the VS Code theme through its CSS variables.
 */
import { parse, View, type Config as VegaConfig } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import { compile, type TopLevelSpec } from 'vega-lite';

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** A Vega config from the active theme's colours. */
export function themeConfig(): VegaConfig {
  const fg = cssVar('--vscode-foreground', '#333');
  const muted = cssVar('--vscode-descriptionForeground', '#777');
  const grid = cssVar('--vscode-editorWidget-border', cssVar('--vscode-panel-border', '#ddd'));
  const font = cssVar('--vscode-font-family', 'sans-serif');
  const accent = cssVar('--vscode-charts-blue', '#4c78a8');
  return {
    background: 'transparent',
    font,
    axis: { labelColor: muted, titleColor: fg, gridColor: grid, domainColor: grid, tickColor: grid },
    legend: { labelColor: muted, titleColor: fg },
    title: { color: fg },
    view: { stroke: 'transparent' },
    range: {
      category: [
        accent,
        cssVar('--vscode-charts-orange', '#f58518'),
        cssVar('--vscode-charts-green', '#54a24b'),
        cssVar('--vscode-charts-red', '#e45756'),
        cssVar('--vscode-charts-purple', '#b279a2'),
        cssVar('--vscode-charts-yellow', '#eeca3b'),
      ],
    },
    mark: { color: accent },
  } as VegaConfig;
}

/** Renders a Vega-Lite spec into `container` (replacing its content) and returns the view. */
export async function renderVegaLite(container: HTMLElement, spec: TopLevelSpec, opts: { renderer?: 'svg' | 'canvas'; hoistData?: boolean } = {}): Promise<View> {
  const hoisted = opts.hoistData ? hoistInlineData(spec) : { spec, datasets: new Map<string, unknown[]>() };
  const vgSpec = compile(hoisted.spec, { config: themeConfig() as never }).spec;
  const view = new View(parse(vgSpec, undefined, { ast: true }), {
    expr: expressionInterpreter,
    renderer: opts.renderer ?? 'svg',
    container,
    hover: true,
  });
  for (const [name, values] of hoisted.datasets) view.data(name, values);
  await view.runAsync();
  return view;
}

/** Inline data of at least this many rows is handed to the view rather than compiled into the spec. */
const HOIST_FROM_ROWS = 50;

/**
 * Moves large inline `data.values` (top level and in layers) out of the spec into named datasets the
 * view receives directly: Vega-Lite's compile and Vega's parse otherwise walk and copy every row —
 * measured on the Experiments panel's 200 runs, a large share of the draw. The spec is not changed.
 */
function hoistInlineData(spec: TopLevelSpec): { spec: TopLevelSpec; datasets: Map<string, unknown[]> } {
  const datasets = new Map<string, unknown[]>();
  const visit = (node: unknown): unknown => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
    const n = node as Record<string, unknown>;
    const data = n['data'] as { values?: unknown } | undefined;
    let out: Record<string, unknown> = n;
    if (data && Array.isArray(data.values) && data.values.length >= HOIST_FROM_ROWS && Object.keys(data).length === 1) {
      const name = `hoisted_${datasets.size}`;
      datasets.set(name, data.values);
      out = { ...out, data: { name } };
    }
    if (Array.isArray(n['layer'])) out = { ...out, layer: (n['layer'] as unknown[]).map(visit) };
    return out;
  };
  return { spec: visit(spec) as TopLevelSpec, datasets };
}
