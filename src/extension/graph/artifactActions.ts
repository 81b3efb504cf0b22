import * as vscode from 'vscode';
import path from 'node:path';
import { findComponent } from '../../core/catalogue';
import type { ArtifactType } from '../../core/artifacts';
import type { PipelineSpec } from '../../core/spec';
import type { RunView } from '../../protocol/graph';
import { panelColumn } from '../panelRegistry';
import { executeCommand } from '../commands';

/** Data panels open these artifact types; the panels area registers the commands (`src/extension/panels`). */
const PANEL_COMMANDS: Partial<Record<ArtifactType, string>> = {
  ExampleStatistics: 'pipewise.openStatistics',
  Schema: 'pipewise.openSchema',
  ExampleAnomalies: 'pipewise.openAnomalies',
  Examples: 'pipewise.previewData',
  ModelEvaluation: 'pipewise.openEvaluation',
};

/** The file to open when no panel shows an artifact type. */
const MAIN_FILE: Partial<Record<ArtifactType, string>> = {
  ExampleStatistics: 'statistics.json',
  Schema: 'schema.json',
  ExampleAnomalies: 'anomalies.json',
  ModelEvaluation: 'metrics.json',
  Model: 'model/model.json',
  TransformGraph: 'transform.json',
  HyperParameters: 'best_hyperparameters.json',
  PushedModel: 'pushed.json',
};

export function artifactTypeOf(spec: PipelineSpec, stage: string, output: string): ArtifactType | undefined {
  const s = spec.stages.find((x) => x.name === stage);
  return s ? findComponent(s.component)?.outputs[output]?.type : undefined;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens one artifact the way a person wants to see it: statistics, schema and anomalies in the data
 * panels, a model through its evaluation's metrics.json, anything else as its main file or folder.
 */
export async function openArtifact(spec: PipelineSpec, run: RunView, stage: string, output: string): Promise<void> {
  const folder = run.stages[stage]?.artifacts?.[output];
  if (!folder) {
    void vscode.window.showInformationMessage(`${stage}.${output} has not been produced yet: run the pipeline first.`);
    return;
  }
  const type = artifactTypeOf(spec, stage, output);
  const folderUri = vscode.Uri.file(folder);
  const command = type ? PANEL_COMMANDS[type] : undefined;
  if (command && (await vscode.commands.getCommands(true)).includes(command)) {
    // Schema and anomalies read better beside the statistics (and schema) the stage was given.
    const inputOf = (s: string, t: ArtifactType): string | undefined => {
      const ref = Object.values(spec.stages.find((x) => x.name === s)?.inputs ?? {}).find((r) => artifactTypeOf(spec, r.stage, r.output) === t);
      return ref ? run.stages[ref.stage]?.artifacts?.[ref.output] : undefined;
    };
    if (type === 'Schema') {
      const statistics = inputOf(stage, 'ExampleStatistics');
      await vscode.commands.executeCommand(command, folderUri, statistics ? vscode.Uri.file(statistics) : undefined);
    } else if (type === 'ExampleAnomalies') {
      const schema = inputOf(stage, 'Schema');
      const statistics = inputOf(stage, 'ExampleStatistics');
      await vscode.commands.executeCommand(command, {
        anomalies: vscode.Uri.joinPath(folderUri, 'anomalies.json'),
        ...(schema ? { schema: vscode.Uri.file(schema) } : {}),
        ...(statistics ? { statistics: vscode.Uri.file(statistics) } : {}),
      });
    } else {
      await vscode.commands.executeCommand(command, folderUri);
    }
    return;
  }
  if (type === 'Model') {
    // A model is judged by its evaluation: open the metrics of an Evaluator that read it.
    for (const s of spec.stages) {
      const reads = Object.values(s.inputs).some((r) => r.stage === stage && r.output === output);
      const evaluation = reads && findComponent(s.component)?.name === 'Evaluator' ? run.stages[s.name]?.artifacts?.evaluation : undefined;
      if (evaluation && (await exists(vscode.Uri.file(path.join(evaluation, 'metrics.json'))))) {
        await executeCommand('pipewise.openEvaluation', vscode.Uri.file(evaluation));
        return;
      }
    }
  }
  const main = type ? MAIN_FILE[type] : undefined;
  if (main && (await exists(vscode.Uri.joinPath(folderUri, main)))) {
    await vscode.window.showTextDocument(vscode.Uri.joinPath(folderUri, main), { viewColumn: panelColumn() });
    return;
  }
  await vscode.commands.executeCommand('revealInExplorer', folderUri);
}

/** Opens the outputs of a stage: one directly, several through a pick. */
export async function openStageOutputs(spec: PipelineSpec, run: RunView, stage: string): Promise<void> {
  const artifacts = run.stages[stage]?.artifacts ?? {};
  const outputs = Object.keys(artifacts);
  if (outputs.length === 0) {
    void vscode.window.showInformationMessage(`Stage ${stage} has no outputs yet: run it first.`);
    return;
  }
  const pick =
    outputs.length === 1
      ? outputs[0]
      : (await vscode.window.showQuickPick(
          outputs.map((o) => ({ label: o, description: artifactTypeOf(spec, stage, o) ?? '', detail: artifacts[o] })),
          { title: `Outputs of ${stage}` },
        ))?.label;
  if (pick) await openArtifact(spec, run, stage, pick);
}
