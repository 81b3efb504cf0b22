/**
 * "Export to Kubeflow Pipelines…" in a real VS Code: the command writes the PipelineSpec YAML (with
 * the Dockerfile and .dockerignore beside it) through the worker and opens it; in an untrusted
 * workspace it writes nothing. The workspace is a throwaway copy of `examples/`.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import type { PipewiseContext } from '../../../src/extension/context';

async function activate(): Promise<PipewiseContext> {
  const ext = vscode.extensions.getExtension<PipewiseContext>('pipewise.pipewise');
  assert.ok(ext, 'the extension is installed');
  return ext.activate();
}

function penguinsFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host tests need a workspace folder');
  return path.join(folder.uri.fsPath, 'penguins');
}

suite('export to Kubeflow Pipelines', () => {
  suiteSetup(async () => {
    await activate();
  });

  test('the command writes the PipelineSpec, the Dockerfile and .dockerignore, and opens the YAML', async function () {
    this.timeout(120_000);
    const dir = penguinsFolder();
    const pipeline = vscode.Uri.file(path.join(dir, 'penguins.pipeline.yaml'));
    const out = path.join(dir, 'penguins.kfp.yaml');
    fs.rmSync(out, { force: true });
    await vscode.window.showTextDocument(pipeline);
    const result = await vscode.commands.executeCommand<{ out: string; steps: number; image: string } | undefined>('pipewise.exportKfp', pipeline, { image: 'registry.example/penguins:7' });
    assert.ok(result, 'the export returned its result (see the Pipewise log if not)');
    assert.equal(result.out, out);
    const doc = parse(fs.readFileSync(out, 'utf8'));
    assert.equal(doc.schemaVersion, '2.1.0');
    assert.equal(doc.pipelineInfo.name, 'penguins');
    const stages = (fs.readFileSync(pipeline.fsPath, 'utf8').match(/^ {2}[a-z_]+:\s*$/gm) ?? []).length;
    assert.equal(Object.keys(doc.root.dag.tasks).length, stages);
    assert.equal(result.steps, stages);
    assert.equal(doc.deploymentSpec.executors['exec-train'].container.image, 'registry.example/penguins:7');
    assert.match(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), /COPY \["penguins\.pipeline\.yaml"/);
    assert.ok(fs.existsSync(path.join(dir, '.dockerignore')));
    assert.ok(fs.existsSync(path.join(dir, 'pipewise-cli', 'out', 'cli.js')), 'the CLI bundle is in the build context');
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, out, 'the exported file is open');
  });

  test('in an untrusted workspace the command exports nothing', async function () {
    this.timeout(60_000);
    const dir = penguinsFolder();
    const out = path.join(dir, 'untrusted.kfp.yaml');
    await vscode.commands.executeCommand('pipewise.test.setTrusted', false);
    try {
      const result = await vscode.commands.executeCommand('pipewise.exportKfp', vscode.Uri.file(path.join(dir, 'penguins.pipeline.yaml')), { image: 'x:1', out });
      assert.equal(result, undefined);
      assert.ok(!fs.existsSync(out));
    } finally {
      await vscode.commands.executeCommand('pipewise.test.setTrusted', undefined);
    }
  });
});
