/**
 * A stand-in for KFP v2's launcher (shared/kfp/NOTES.md §3) running the exported penguin pipeline:
 * for each task in dependency order it builds the ExecutorInput from the DAG (parameters from
 * the pipeline's defaults and constants, input artifacts from the producers' outputs with their
 * metadata, output URIs `minio://…/<task>/<salt>/<output>`), substitutes the placeholders, and
 * runs the container's command with the local CLI in the image's WORKDIR (a folder holding exactly
 * what the Dockerfile copies). Each task runs in its own "pod" folder: inputs are downloaded there
 * from an object-store folder and outputs uploaded back, as the launcher does. Every ExecutorInput
 * and ExecutorOutput parses strictly; the results equal a local `pipewise run`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { checkPipelineSpec, parseStrict, repoRoot } from './kfp-helpers';

const cli = path.join(repoRoot, 'bin/pipewise.js');
type Obj = Record<string, any>;

/** The launcher's LocalPathForURI, under `pod` instead of `/`: minio://b/k → <pod>/minio/b/k. */
function localPath(pod: string, uri: string): string {
  const m = /^(minio|gs|s3):\/\/(.+)$/.exec(uri);
  assert.ok(m, `no local path for ${uri}`);
  return path.join(pod, { minio: 'minio', gs: 'gcs', s3: 's3' }[m[1] as 'minio' | 'gs' | 's3'], m[2] as string);
}

/** Copies what the Dockerfile's `COPY ["src","dest"]` lines after `WORKDIR /pipeline` copy, from the build context. */
function imageWorkdir(context: string, workdir: string): void {
  const lines = readFileSync(path.join(context, 'Dockerfile'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === 'WORKDIR /pipeline');
  assert.ok(start > 0, 'the Dockerfile sets WORKDIR /pipeline');
  let copied = 0;
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('COPY ')) continue;
    const [src, dest] = JSON.parse(line.slice(5)) as [string, string];
    cpSync(path.join(context, src), path.join(workdir, dest), { recursive: true });
    copied++;
  }
  assert.ok(copied > 0);
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function json(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

test('the exported penguin pipeline, run task by task the way KFP\'s launcher runs it, gives the results of a local run', { timeout: 900_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pipewise-kfp-run-'));
  try {
    const copy = (name: string): string => {
      const dir = path.join(tmp, name);
      cpSync(path.join(repoRoot, 'examples/penguins'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewise`) && !src.includes(`${path.sep}serving`) });
      return dir;
    };
    // The local run, the reference.
    const local = copy('local');
    const run = spawnSync(process.execPath, [cli, 'run', path.join(local, 'penguins.pipeline.yaml'), '--json'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const localArtifacts = Object.fromEntries((JSON.parse(run.stdout).stages as Obj[]).map((s) => [s.name, s.artifacts as Record<string, string>]));

    // Export, and the image's WORKDIR as its Dockerfile would fill it.
    const context = copy('context');
    const exp = spawnSync(process.execPath, [cli, 'export', path.join(context, 'penguins.pipeline.yaml'), '--target', 'kfp'], { encoding: 'utf8' });
    assert.equal(exp.status, 0, exp.stderr);
    const doc = parse(readFileSync(path.join(context, 'penguins.kfp.yaml'), 'utf8')) as Obj;
    const order = checkPipelineSpec(doc);
    const workdir = path.join(tmp, 'workdir');
    mkdirSync(workdir);
    imageWorkdir(context, workdir);
    assert.ok(!existsSync(path.join(workdir, '.pipewise')));

    const objectStore = path.join(tmp, 'object-store');
    const root = 'minio://mlpipeline/v2/artifacts';
    const runId = 'run-1';
    const rootDefaults: Obj = Object.fromEntries(Object.entries<Obj>(doc.root.inputDefinitions.parameters).map(([k, v]) => [k, v.defaultValue]));
    const produced = new Map<string, Obj>(); // task → output name → RuntimeArtifact (uri, type, metadata)
    const outputsByStage: Record<string, Record<string, string>> = {};

    for (const [n, taskName] of order.entries()) {
      const task = doc.root.dag.tasks[taskName] as Obj;
      const comp = doc.components[task.componentRef.name] as Obj;
      const container = doc.deploymentSpec.executors[comp.executorLabel].container as Obj;
      const pod = path.join(tmp, 'pods', taskName);
      // Parameters, as the driver resolves them.
      const parameterValues: Obj = {};
      for (const [name, b] of Object.entries<Obj>(task.inputs?.parameters ?? {})) {
        parameterValues[name] = b.componentInputParameter !== undefined ? rootDefaults[b.componentInputParameter] : b.runtimeValue.constant;
      }
      // Input artifacts: the producers' outputs, downloaded into this pod.
      const inputArtifacts: Obj = {};
      for (const [name, b] of Object.entries<Obj>(task.inputs?.artifacts ?? {})) {
        const a = produced.get(b.taskOutputArtifact.producerTask)?.[b.taskOutputArtifact.outputArtifactKey];
        assert.ok(a, `${taskName}: input ${name} was not produced`);
        cpSync(localPath(objectStore, a.uri), localPath(pod, a.uri), { recursive: true });
        inputArtifacts[name] = { artifacts: [a] };
      }
      const outputArtifacts: Obj = {};
      for (const [name, def] of Object.entries<Obj>(comp.outputDefinitions.artifacts)) {
        outputArtifacts[name] = { artifacts: [{ name, type: def.artifactType, uri: `${root}/penguins/${runId}/${taskName}/salt${n}/${name}`, metadata: {} }] };
      }
      const outputFile = path.join(pod, 'tmp/kfp_outputs/output_metadata.json');
      const executorInput = { inputs: { parameterValues, artifacts: inputArtifacts }, outputs: { artifacts: outputArtifacts, outputFile } };
      parseStrict('ExecutorInput', executorInput);
      // The launcher creates only the parent folder of each output path.
      for (const o of Object.values<Obj>(outputArtifacts)) mkdirSync(path.dirname(localPath(pod, o.artifacts[0].uri)), { recursive: true });

      const placeholder = (s: string): string =>
        s
          .replace(/\{\{\$\}\}/g, () => JSON.stringify(executorInput))
          .replace(/\{\{\$\.(inputs|outputs)\.artifacts\['([^']+)'\]\.(path|uri)\}\}/g, (_m, io: string, name: string, what: string) => {
            const a = (io === 'inputs' ? inputArtifacts : outputArtifacts)[name]?.artifacts[0];
            assert.ok(a, `${taskName}: placeholder for unknown ${io} artifact ${name}`);
            return what === 'uri' ? a.uri : localPath(pod, a.uri);
          });
      const argv = [...container.command, ...container.args].map((s: string) => placeholder(s));
      assert.ok(!argv.some((s) => /\{\{\$/.test(s)), `${taskName}: a placeholder was left: ${argv.join(' ')}`);
      assert.equal(argv[0], 'pipewise');
      const r = spawnSync(process.execPath, [cli, ...argv.slice(1)], { cwd: workdir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${taskName} failed: ${r.stderr}`);

      // After the run: the ExecutorOutput (strict), then each output uploaded.
      const executorOutput = json(outputFile);
      parseStrict('ExecutorOutput', executorOutput);
      const outs: Obj = {};
      const stageName = container.args[2] as string;
      outputsByStage[stageName] = {};
      for (const [name, o] of Object.entries<Obj>(outputArtifacts)) {
        const a = o.artifacts[0];
        const dir = localPath(pod, a.uri);
        assert.ok(statSync(dir).isDirectory(), `${taskName}: output ${name} is a folder`);
        assert.ok(files(dir).length > 0, `${taskName}: output ${name} holds files`);
        for (const e of readdirSync(path.dirname(dir))) assert.ok(outputArtifacts[e], `${taskName}: ${e} beside the outputs (a temporary folder left?)`);
        cpSync(dir, localPath(objectStore, a.uri), { recursive: true });
        outs[name] = { ...a, metadata: executorOutput.artifacts?.[name]?.artifacts?.[0]?.metadata ?? {} };
        outputsByStage[stageName][name] = localPath(objectStore, a.uri);
      }
      produced.set(taskName, outs);
    }

    // The same results as the local run.
    const kfp = outputsByStage;
    assert.deepEqual(files(kfp.examples!.examples!), files(localArtifacts.examples!.examples!));
    assert.deepEqual(json(path.join(kfp.statistics!.statistics!, 'statistics.json')), json(path.join(localArtifacts.statistics!.statistics!, 'statistics.json')));
    assert.deepEqual(json(path.join(kfp.schema!.schema!, 'schema.json')), json(path.join(localArtifacts.schema!.schema!, 'schema.json')));
    assert.deepEqual(json(path.join(kfp.validate!.anomalies!, 'anomalies.json')), json(path.join(localArtifacts.validate!.anomalies!, 'anomalies.json')));
    const kfpEval = json(path.join(kfp.evaluate!.evaluation!, 'metrics.json'));
    const localEval = json(path.join(localArtifacts.evaluate!.evaluation!, 'metrics.json'));
    assert.deepEqual(kfpEval.slices, localEval.slices);
    assert.equal(kfpEval.blessed, localEval.blessed);
    assert.deepEqual(kfpEval.thresholds, localEval.thresholds);
    assert.deepEqual(files(kfp.evaluate!.blessing!), files(localArtifacts.evaluate!.blessing!));
    assert.ok(localEval.slices[0].metrics.accuracy > 0.9, `penguin accuracy ${localEval.slices[0].metrics.accuracy}`);

    // What KFP's UI shows: the overall metrics as scalars, the confusion matrix of the classifier.
    const evalOut = produced.get('evaluate') as Obj;
    const overall = localEval.slices.find((s: Obj) => Object.keys(s.slice).length === 0);
    for (const [k, v] of Object.entries(overall.metrics)) assert.equal(evalOut.evaluation.metadata[k], v, `metric ${k}`);
    const cm = evalOut.classification_metrics.metadata.confusionMatrix;
    assert.deepEqual(cm.annotationSpecs.map((a: Obj) => a.displayName), overall.confusionMatrix.classes);
    assert.deepEqual(cm.rows.map((r: Obj) => r.row), overall.confusionMatrix.matrix);
    // ExampleGen's recorded splits travel to its consumers as artifact metadata.
    assert.deepEqual((produced.get('examples') as Obj).examples.metadata.splits, ['train', 'eval']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
