import * as vscode from 'vscode';
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { PipewiseContext } from '../context';
import type { DataSource, PanelKind, PanelState, RenderedDigest } from '../../protocol/data';
import { filterProblem } from '../../protocol/data';
import type { DataArg } from '../commands';
import { Feature } from '../feature';
import { DATA_PANEL_VIEW_TYPE } from '../contributionIds';
import { DataPanel } from './dataPanel';
import { PanelRegistry } from '../panelRegistry';
import { isDataSource, sourceFromPath, sourceKey, sourceLabel } from './sources';

const DATA_FILTERS = { Data: ['csv', 'tsv', 'parquet', 'json', 'ndjson', 'jsonl'] };

/** A command argument as a path: a Uri (explorer, graph node), a string, or a `{ path }`. */
function pathOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg.startsWith('file:') ? vscode.Uri.parse(arg).fsPath : arg;
  if (arg && typeof arg === 'object' && 'fsPath' in arg && typeof (arg as { fsPath: unknown }).fsPath === 'string') return (arg as { fsPath: string }).fsPath;
  return undefined;
}

async function pickFile(title: string, filters: Record<string, string[]> = DATA_FILTERS, folders = false): Promise<string | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const picked = await vscode.window.showOpenDialog({ title, canSelectMany: false, canSelectFiles: true, canSelectFolders: folders, filters, ...(active ? { defaultUri: active } : {}) });
  return picked?.[0]?.fsPath;
}

/** The source a command was given, or the active editor's data file, or one the user picks. */
async function sourceArg(arg: unknown, title: string): Promise<DataSource | undefined> {
  // A filter is data ({ column, op, value }), never SQL text: refuse one that is not, by name.
  const problem = arg && typeof arg === 'object' && 'where' in arg ? filterProblem((arg as { where?: unknown }).where) : undefined;
  if (problem) throw new Error(problem);
  if (isDataSource(arg)) return arg;
  let p = pathOf(arg);
  if (!p) {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === 'file' && /\.(csv|tsv|parquet|json|ndjson|jsonl)$/i.test(active.fsPath)) p = active.fsPath;
  }
  p ??= await pickFile(title, { ...DATA_FILTERS, Statistics: ['json'] }, true);
  return p ? sourceFromPath(p) : undefined;
}

/**
 * The data panels: commands that open them, one panel per (kind, source) revealed again when asked
 * twice, and a serializer that restores them after a reload; the feature owns the panels' registry,
 * which internal test commands read.
 */
export class DataPanelsFeature extends Feature {
  constructor(ctx: PipewiseContext) {
    super(ctx);
    let nextId = 1;
    const panels = this._register(new PanelRegistry(ctx, {
      viewType: DATA_PANEL_VIEW_TYPE,
      keyOf: (s: PanelState) => JSON.stringify([s.kind, sourceKey(s.source), sourceKey(s.right), sourceKey(s.baseline), s.schemaPath ?? '', s.anomaliesPath ?? '']),
      title: (s) => s.title,
      create: (webviewPanel, s) => new DataPanel(ctx, webviewPanel, s, `panel-${nextId++}`),
      isState: (s): s is PanelState => !!(s as PanelState | undefined)?.kind,
    }));
    const open = (state: PanelState): string => panels.show(state).panel.id;

    const byId = (id: unknown): DataPanel => {
      const p = panels.find((x) => x.id === id);
      if (!p) throw new Error(`no data panel ${String(id)}`);
      return p;
    };

    const statistics = async (arg: unknown, kind: PanelKind): Promise<string | undefined> => {
        const source = await sourceArg(arg, kind === 'preview' ? 'Preview a data file' : 'Statistics of a data file or StatisticsGen artifact');
        if (!source) return undefined;
        if (kind === 'preview' && source.kind === 'statistics') throw new Error(`${source.path}: statistics hold no rows to preview; open the examples instead`);
        return open({ kind, title: `${kind === 'preview' ? 'Data' : 'Statistics'}: ${sourceLabel(source)}`, source });
    };

    const schemaPanel = async (arg: unknown, statsArg: unknown, focus: 'schema' | 'anomalies'): Promise<string | undefined> => {
        // Accept { schema, statistics, anomalies } too (the graph and tests pass artifacts so).
        let schemaArg = arg;
        let statisticsArg = statsArg;
        let anomaliesPath: string | undefined;
        let baseline: DataSource | undefined;
        if (arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && ('schema' in arg || 'anomalies' in arg)) {
          const o = arg as { schema?: unknown; statistics?: unknown; anomalies?: unknown; baseline?: unknown };
          schemaArg = o.schema;
          statisticsArg = o.statistics ?? statsArg;
          anomaliesPath = pathOf(o.anomalies);
          const b = pathOf(o.baseline);
          baseline = isDataSource(o.baseline) ? o.baseline : b ? sourceFromPath(b) : undefined;
        }
        let p = pathOf(schemaArg) ?? (await pickFile(focus === 'schema' ? 'Open a schema (schema.json / schema.yaml or a SchemaGen artifact)' : 'Open anomalies (anomalies.json or an ExampleValidator artifact)', { Schema: ['json', 'yaml', 'yml'] }, true));
        if (!p) return undefined;
        if (existsSync(path.join(p, 'schema.json'))) p = path.join(p, 'schema.json');
        else if (existsSync(path.join(p, 'anomalies.json'))) p = path.join(p, 'anomalies.json');
        let schemaPath: string | undefined = p;
        if (path.basename(p) === 'anomalies.json') {
          anomaliesPath = p;
          schemaPath = undefined;
        }
        const source = isDataSource(statisticsArg) ? statisticsArg : pathOf(statisticsArg) ? sourceFromPath(pathOf(statisticsArg)!) : undefined;
        const title = schemaPath ? `Schema: ${path.basename(path.dirname(schemaPath))}/${path.basename(schemaPath)}` : `Anomalies: ${path.basename(path.dirname(p))}`;
        return open({ kind: 'schema', title, ...(schemaPath ? { schemaPath } : {}), ...(anomaliesPath ? { anomaliesPath } : {}), ...(source ? { source } : {}), ...(baseline ? { baseline } : {}) });
    };

    this.command('pipewise.previewStatistics', (arg) => statistics(arg, 'statistics'));
    this.command('pipewise.openStatistics', (arg) => statistics(arg, 'statistics'));
    this.command('pipewise.previewData', (arg) => statistics(arg, 'preview'));
    this.command('pipewise.compareDatasets', async (a, b) => {
      // From the explorer with two files selected, VS Code passes (clicked, [all selected]).
      const [first, second]: [DataArg, DataArg] = a instanceof vscode.Uri && Array.isArray(b) && b.length === 2 ? [b[0], b[1]] : [a, Array.isArray(b) ? undefined : (b as DataArg)];
      const left = await sourceArg(first, 'The first dataset (baseline, e.g. training data)');
      if (!left) return undefined;
      const right = await sourceArg(second ?? null, 'The second dataset (e.g. serving data or the next span)');
      if (!right) return undefined;
      return open({ kind: 'compare', title: `Compare: ${sourceLabel(left)} ↔ ${sourceLabel(right)}`, source: left, right, threshold: 0.05 });
    });
    this.command('pipewise.openSchema', (arg, stats) => schemaPanel(arg, stats, 'schema'));
    this.command('pipewise.openAnomalies', (arg, stats) => schemaPanel(arg, stats, 'anomalies'));
    // For tests: what a panel drew, and messages as if the webview had sent them.
    this.testCommand('pipewise.internal.panelDigest', (id, want = {}) =>
      byId(id).waitForDigest(
        (d: RenderedDigest) =>
          (!want.kind || d.kind === want.kind) && (want.exact === undefined || d.exact === want.exact) && (!want.anomalyFree || !(d.anomalies ?? []).includes(want.anomalyFree)),
        want.timeoutMs ?? 60_000,
        want.fresh ?? false,
      ),
    );
    this.testCommand('pipewise.internal.panelMessage', (id, m) => byId(id).receive(m));
    this.testCommand('pipewise.internal.panelStatus', (id) => byId(id).statisticsStatus);
  }
}
