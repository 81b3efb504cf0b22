import * as vscode from 'vscode';
import type { GraphLayoutSetting } from '../protocol/graph';

/**
 * Every Pipewise setting, read through this one typed place. The manifest declares them in titled
 * groups (`contributes.configuration`); the defaults here must match the manifest's.
 */
export interface PipewiseConfig {
  readonly editor: {
    /** Milliseconds after the last keystroke before diagnostics and the graph follow an edit. */
    readonly updateDelay: number;
    readonly codeLens: boolean;
  };
  readonly graph: {
    readonly showArtifacts: boolean;
    readonly layout: GraphLayoutSetting;
  };
  readonly panels: {
    /** Where data and evaluation panels open: the active editor group, or beside it. */
    readonly location: 'active' | 'beside';
  };
  readonly serving: {
    /** Servers started from the Models view log their requests to `requests/MODEL` beside the pipeline. */
    readonly logRequests: boolean;
    /** The fraction of requests they log. */
    readonly logSample: number;
  };
  readonly runs: {
    readonly showProgressNotification: boolean;
    readonly revealGraph: boolean;
    /** Past runs listed per pipeline in the Runs view. */
    readonly historyLimit: number;
  };
  readonly training: {
    /**
     * Threads of the wasm backend, as the user wrote it (checked by parseWasmThreads when the
     * worker starts: a wrong value is reported there, not clamped here).
     */
    readonly wasmThreads: unknown;
  };
}

export const CONFIG_SECTION = 'pipewise';

export function readConfig(scope?: vscode.ConfigurationScope): PipewiseConfig {
  const c = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  const num = (key: string, fallback: number, min: number, max: number): number => {
    const v = c.get<number>(key, fallback);
    return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = c.get<boolean>(key, fallback);
    return typeof v === 'boolean' ? v : fallback;
  };
  const oneOf = <T extends string>(key: string, values: readonly T[], fallback: T): T => {
    const v = c.get<string>(key, fallback);
    return (values as readonly string[]).includes(v) ? (v as T) : fallback;
  };
  return {
    editor: { updateDelay: num('editor.updateDelay', 250, 0, 5000), codeLens: bool('editor.codeLens', true) },
    graph: { showArtifacts: bool('graph.showArtifacts', true), layout: oneOf('graph.layout', ['auto', 'leftToRight', 'topToBottom'] as const, 'auto') },
    panels: { location: oneOf('panels.location', ['active', 'beside'] as const, 'active') },
    serving: { logRequests: bool('serving.logRequests', true), logSample: num('serving.logSample', 1, 0.0001, 1) },
    runs: {
      showProgressNotification: bool('runs.showProgressNotification', true),
      revealGraph: bool('runs.revealGraph', true),
      historyLimit: num('runs.historyLimit', 20, 1, 500),
    },
    training: { wasmThreads: c.get<unknown>('training.wasmThreads', 0) },
  };
}

/** Fires when any Pipewise setting changes. */
export function onDidChangeConfig(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(CONFIG_SECTION)) listener();
  });
}
