import * as vscode from 'vscode';
import path from 'node:path';
import type { PipewiseContext } from './context';
import type { TrustGate } from './trust';
import { ExportKfp, type ExportKfpResult } from '../protocol/export';
import type { ExportKfpOptions } from '../protocol/export';

/**
 * "Export to Kubeflow Pipelines…": asks for the image the steps run, has the worker write the
 * PipelineSpec YAML (with the Dockerfile and .dockerignore beside it: its own pair under the
 * pipeline's name when the folder's are a user's or another pipeline's), opens the YAML and says how
 * to build the image. The export loads user modules and reads data, so it needs a trusted workspace.
 */
export async function exportToKubeflow(ctx: PipewiseContext, trust: TrustGate, uri: vscode.Uri, options: ExportKfpOptions = {}): Promise<ExportKfpResult | undefined> {
  if (!trust.allowsRun('export pipelines')) return undefined;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty) await doc.save();
  const key = `pipewise.kfpImage:${uri.fsPath}`;
  let image = options.image;
  if (!image) {
    const stem = path.basename(uri.fsPath).replace(/\.pipeline\.ya?ml$/i, '').toLowerCase().replace(/[^-0-9a-z]+/g, '-');
    image = await vscode.window.showInputBox({
      title: 'Export to Kubeflow Pipelines',
      prompt: 'The container image every step runs (registry/name:tag). Build and push it with the Dockerfile written beside the export.',
      value: ctx.extension.workspaceState.get<string>(key) ?? `pipewise-${stem}:latest`,
      ignoreFocusOut: true,
      validateInput: (v) => (/^[^\s]+$/.test(v.trim()) ? undefined : 'An image reference, e.g. us-docker.pkg.dev/project/repo/pipewise:1'),
    });
    if (!image) return undefined;
    image = image.trim();
    await ctx.extension.workspaceState.update(key, image);
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Exporting ${path.basename(uri.fsPath)} to Kubeflow Pipelines…` },
    async () => ctx.worker.request(ExportKfp, { file: uri.fsPath, image, ...(options.out ? { out: options.out } : {}) }),
  );
  ctx.log.info(`Exported ${uri.fsPath} to ${result.out} (${result.steps} steps, image ${result.image}); Dockerfile: ${result.dockerfile}`);
  await vscode.window.showTextDocument(vscode.Uri.file(result.out), { preview: false });
  const folder = path.dirname(result.dockerfile);
  // Relative to the workspace folder the terminal opens in ('.' for the folder itself; asRelativePath gives that one absolute).
  const root = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder))?.uri.fsPath;
  const context = root ? path.relative(root, folder).split(path.sep).join('/') || '.' : folder;
  // A second pipeline's image (or one beside a user's Dockerfile) has its own Dockerfile name.
  const name = path.basename(result.dockerfile);
  const dockerfileArg = name === 'Dockerfile' ? '' : ` -f ${context === '.' ? name : `${context}/${name}`}`;
  void vscode.window
    .showInformationMessage(
      `Exported ${result.steps} steps to ${path.basename(result.out)}. Build the image: docker build${dockerfileArg} -t ${result.image} ${context}, push it, then upload the YAML to Kubeflow Pipelines or Vertex AI.` +
        (result.cli === 'npm' ? ' The image installs the pipewise-cli package of this version from npm.' : ''),
      `Open ${name}`,
    )
    .then((pick) => (pick ? vscode.window.showTextDocument(vscode.Uri.file(result.dockerfile)) : undefined));
  return result;
}
