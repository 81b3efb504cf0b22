/**
 * `pipewise export --target kfp` on every example pipeline, as a user runs it (the built CLI), and
 * the result checked by an independent parser: KFP's protos from ../shared/kfp, compiled by buf,
 * parsed strictly by @bufbuild/protobuf as `ml_pipelines.PipelineSpec`, its deploymentSpec as
 * `ml_pipelines.PipelineDeploymentConfig`; then references, names, acyclicity and artifact types.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { checkPipelineSpec, parseStrict, repoRoot, sharedKfp } from './kfp-helpers';

const cli = path.join(repoRoot, 'bin/pipewise.js');
const examples = readdirSync(path.join(repoRoot, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(path.join(repoRoot, 'examples', d.name)).filter((f) => f.endsWith('.pipeline.yaml')).map((f) => ({ dir: d.name, file: f })));

/** `actual` holds everything `written` says; objects may have more keys (defaults filled in). */
function assertCovers(actual: unknown, written: unknown, where: string): void {
  if (written !== null && typeof written === 'object' && !Array.isArray(written)) {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${where}: ${JSON.stringify(actual)} is not an object`);
    for (const [k, v] of Object.entries(written)) assertCovers((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
    return;
  }
  assert.deepEqual(actual, written, where);
}

/** A copy of an example folder (without its local store), exported there; returns the parsed YAML and the folder. */
function exportCopy(dir: string, file: string, extra: string[] = []): { doc: Record<string, any>; folder: string; stdout: string } {
  const folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'pipewise-kfp-')), dir);
  cpSync(path.join(repoRoot, 'examples', dir), folder, { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewise`) });
  const r = spawnSync(process.execPath, [cli, 'export', path.join(folder, file), '--target', 'kfp', ...extra], { encoding: 'utf8' });
  assert.equal(r.status, 0, `export of ${dir}/${file} failed: ${r.stderr}`);
  const out = path.join(folder, file.replace(/\.pipeline\.yaml$/, '.kfp.yaml'));
  return { doc: parse(readFileSync(out, 'utf8')), folder, stdout: r.stdout };
}

test('the oracle accepts what the KFP SDK compiles and rejects unknown keys, bad enums and wrong types', () => {
  for (const f of readdirSync(path.join(sharedKfp, 'examples'))) {
    checkPipelineSpec(parse(readFileSync(path.join(sharedKfp, 'examples', f), 'utf8')), { placeholders: false });
  }
  const { doc, folder } = exportCopy('penguins', 'penguins.pipeline.yaml');
  try {
    const mutate = (fn: (d: any) => void): any => {
      const d = structuredClone(doc);
      fn(d);
      return d;
    };
    assert.throws(() => parseStrict('PipelineSpec', mutate((d) => (d.root.dag.tasks.train.cacheOptions = { enableCache: true }))), /cacheOptions/);
    assert.throws(() => parseStrict('PipelineSpec', mutate((d) => (d.components['comp-train'].inputDefinitions.parameters.epochs.parameterType = 'INT'))), /INT/);
    assert.throws(() => parseStrict('PipelineSpec', mutate((d) => (d.schemaVersion = 2.1))));
    assert.throws(() => parseStrict('PipelineSpec', mutate((d) => (d.root.dag.tasks.train.dependentTasks = 'transform'))));
    assert.throws(() => parseStrict('PipelineDeploymentConfig', mutate((d) => (d.deploymentSpec.executors['exec-train'].container.imagee = 'x')).deploymentSpec), /imagee/);
    assert.throws(() => checkPipelineSpec(mutate((d) => (d.root.dag.tasks.train.componentRef.name = 'comp-nope'))), /does not resolve/);
    assert.throws(() => checkPipelineSpec(mutate((d) => (d.root.dag.tasks.transform.dependentTasks = ['examples', 'schema', 'train']))), /cycle/);
    assert.throws(() => checkPipelineSpec(mutate((d) => (d.components['comp-evaluate'].inputDefinitions.artifacts.model.artifactType.schemaTitle = 'system.Dataset'))), /system.Model/);
  } finally {
    rmSync(path.dirname(folder), { recursive: true, force: true });
  }
});

for (const { dir, file } of examples) {
  test(`examples/${dir}/${file} exports to a PipelineSpec that parses strictly and resolves`, () => {
    const { doc, folder } = exportCopy(dir, file, ['--image', 'registry.example/pipewise:1', '--pipeline-root', 'gs://bucket/root']);
    try {
      const order = checkPipelineSpec(doc);
      const spec = parse(readFileSync(path.join(folder, file), 'utf8')) as { pipeline: string; stages: Record<string, { component: string; params?: Record<string, unknown>; inputs?: Record<string, string> }> };
      const stages = Object.keys(spec.stages);
      // One task, component and container executor per stage, each running `pipewise execute` on its stage.
      assert.deepEqual(order.slice().sort(), stages.map((s) => s.replace(/_/g, '-')).sort());
      assert.equal(doc.defaultPipelineRoot, 'gs://bucket/root');
      for (const [name, stage] of Object.entries(spec.stages)) {
        const k = name.replace(/_/g, '-');
        const task = doc.root.dag.tasks[k];
        assert.equal(task.cachingOptions.enableCache, true);
        assert.equal(task.componentRef.name, `comp-${k}`);
        const ex = doc.deploymentSpec.executors[`exec-${k}`].container;
        assert.equal(ex.image, 'registry.example/pipewise:1');
        assert.deepEqual(ex.command, ['pipewise', 'execute']);
        assert.deepEqual(ex.args.slice(0, 5), [file, '--stage', name, '--executor-input', '{{$}}']);
        assert.ok(ex.args.join(' ').length < 2000, 'arguments stay short (no pipeline text)');
        // Every upstream stage is a dependency, every artifact edge a taskOutputArtifact.
        const upstream = [...new Set(Object.values(stage.inputs ?? {}).map((r) => r.split('.')[0]!.replace(/_/g, '-')))].sort();
        assert.deepEqual(task.dependentTasks ?? [], upstream);
        // Stage parameters are pipeline parameters whose defaults are the file's values (the component's defaults filled in).
        for (const [p, v] of Object.entries(stage.params ?? {})) {
          assert.equal(task.inputs.parameters[p].componentInputParameter, `${name}__${p}`);
          assertCovers(doc.root.inputDefinitions.parameters[`${name}__${p}`].defaultValue, v, `${name}.${p}`);
        }
        const titles = Object.values<any>(doc.components[`comp-${k}`].outputDefinitions.artifacts).map((a) => a.artifactType.schemaTitle);
        if (stage.component === 'ExampleGen') assert.deepEqual(titles, ['system.Dataset']);
        if (stage.component === 'Trainer') assert.deepEqual(titles, ['system.Model']);
        if (stage.component === 'Evaluator') assert.deepEqual(titles.sort(), ['pipewise.ModelBlessing', 'system.ClassificationMetrics', 'system.Metrics']);
      }
      // The Dockerfile copies the pipeline file and the data it names; .dockerignore keeps the store out.
      const dockerfile = readFileSync(path.join(folder, 'Dockerfile'), 'utf8');
      assert.match(dockerfile, new RegExp(`COPY \\["${file.replace(/\./g, '\\.')}"`));
      assert.match(readFileSync(path.join(folder, '.dockerignore'), 'utf8'), /^\*\*\/\.pipewise$/m);
      assert.ok(existsSync(path.join(folder, 'pipewise-cli/out/cli.js')));
    } finally {
      rmSync(path.dirname(folder), { recursive: true, force: true });
    }
  });
}

test("ExampleGen's parameters carry a fingerprint of its local data: same data, same value; changed data, another", () => {
  const fingerprint = (doc: any): string => doc.root.dag.tasks.examples.inputs.parameters.pipewise_input_fingerprint.runtimeValue.constant;
  const a = exportCopy('penguins', 'penguins.pipeline.yaml');
  const b = exportCopy('penguins', 'penguins.pipeline.yaml');
  try {
    assert.match(fingerprint(a.doc), /^[0-9a-f]{64}$/);
    assert.equal(fingerprint(a.doc), fingerprint(b.doc));
    const csv = path.join(b.folder, 'data/penguins.csv');
    writeFileSync(csv, readFileSync(csv, 'utf8').replace(/\n[^\n]+\n$/, '\n'));
    spawnSync(process.execPath, [cli, 'export', path.join(b.folder, 'penguins.pipeline.yaml'), '--target', 'kfp'], { encoding: 'utf8' });
    const changed = parse(readFileSync(path.join(b.folder, 'penguins.kfp.yaml'), 'utf8'));
    assert.notEqual(fingerprint(changed), fingerprint(a.doc));
    checkPipelineSpec(changed);
  } finally {
    rmSync(path.dirname(a.folder), { recursive: true, force: true });
    rmSync(path.dirname(b.folder), { recursive: true, force: true });
  }
});

test('export refuses a bad target, and an output folder that cannot hold the pipeline, with a clear message', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'pipewise-kfp-'));
  try {
    cpSync(path.join(repoRoot, 'examples/penguins'), path.join(folder, 'p'), { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewise`) });
    const file = path.join(folder, 'p/penguins.pipeline.yaml');
    let r = spawnSync(process.execPath, [cli, 'export', file, '--target', 'argo'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown target 'argo' \(targets: kfp\)/);
    r = spawnSync(process.execPath, [cli, 'export', file, '--target', 'kfp', '-o', path.join(folder, 'p/sub/x.yaml')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /pipeline's folder or a folder above it/);
    r = spawnSync(process.execPath, [cli, 'export', file, '--target', 'kfp', '-o', path.join(folder, 'up.kfp.yaml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(path.join(folder, 'Dockerfile'), 'utf8'), /COPY \["p\/data\/penguins\.csv","\.\/data\/penguins\.csv"\]/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('without a CLI bundle beside it (the VSIX ships none) the image installs the pipewise-cli package of this version', async () => {
  const { exportKfp } = await import('../../src/engine/export/kfp/exportKfp');
  const folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'pipewise-kfp-')), 'penguins');
  try {
    cpSync(path.join(repoRoot, 'examples/penguins'), folder, { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewise`) });
    const version = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version as string;
    const r = await exportKfp({ file: path.join(folder, 'penguins.pipeline.yaml'), cliDir: folder, pipewise: { version, dependencies: {} } });
    assert.equal(r.cli, 'npm');
    const manifest = JSON.parse(readFileSync(path.join(folder, 'pipewise-cli/package.json'), 'utf8'));
    assert.deepEqual(manifest.dependencies, { 'pipewise-cli': version });
    assert.match(readFileSync(path.join(folder, 'pipewise-cli/bin/pipewise.js'), 'utf8'), /require\('pipewise-cli\/lib\/cli\.js'\)/);
    assert.ok(!existsSync(path.join(folder, 'pipewise-cli/out')));
    checkPipelineSpec(parse(readFileSync(r.out, 'utf8')));
  } finally {
    rmSync(path.dirname(folder), { recursive: true, force: true });
  }
});
