/**
 * What the monitoring panels last concluded, per pipeline and request log: the Models view shows a
 * warning on a model whose pipeline's requests are anomalous, and a change to anomalous is
 * announced once (the caller shows the notification).
 */
import * as vscode from 'vscode';
import path from 'node:path';

export class MonitoringVerdicts implements vscode.Disposable {
  /** pipeline file → log folder → why it is anomalous. */
  private readonly anomalous = new Map<string, Map<string, string>>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  /** Records a verdict (`summary` undefined: ok); true when this log just turned anomalous. */
  set(pipelineFile: string, logDir: string, summary: string | undefined): boolean {
    const file = path.resolve(pipelineFile);
    const logs = this.anomalous.get(file) ?? new Map<string, string>();
    const was = logs.has(path.resolve(logDir));
    if (summary === undefined) logs.delete(path.resolve(logDir));
    else logs.set(path.resolve(logDir), summary);
    if (logs.size) this.anomalous.set(file, logs);
    else this.anomalous.delete(file);
    if (was !== (summary !== undefined)) this.changed.fire();
    return !was && summary !== undefined;
  }

  /** Why the requests served from this pipeline's models are anomalous, if a panel found them so. */
  of(pipelineFile: string): string | undefined {
    const logs = this.anomalous.get(path.resolve(pipelineFile));
    return logs ? [...logs.values()].join(' · ') : undefined;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
