/**
 * The oracle for exported Kubeflow Pipelines files: KFP's own protos (../shared/kfp, copied from
 * kubeflow/pipelines) compiled at test time by the buf CLI (npm @bufbuild/buf) into a descriptor,
 * and parsed with @bufbuild/protobuf's proto3-JSON parser, which is strict (unknown keys, bad
 * enums, wrong types are errors) — as KFP's API server parses an upload. Plus the checks the proto
 * cannot make: references resolve, names are valid, the DAG is acyclic, artifact types agree.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedDir } from '../sharedDir';
import { createFileRegistry, fromBinary, fromJson, type DescMessage, type JsonValue, type Registry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

export const repoRoot = path.resolve(__dirname, '../..');
export const sharedKfp = sharedDir('kfp');

let registry: Registry | undefined;

/** The `ml_pipelines` descriptor, built from ../shared/kfp/*.proto; fails clearly when they are absent. */
export function kfpRegistry(): Registry {
  if (registry) return registry;
  const proto = path.join(sharedKfp, 'pipeline_spec.proto');
  assert.ok(existsSync(proto), `KFP's protos are missing: expected ${proto} (CI lays shared/ beside the clone; see shared/kfp/PROVENANCE.md)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-kfp-desc-'));
  try {
    const out = path.join(dir, 'kfp.binpb');
    const buf = path.join(repoRoot, 'node_modules/.bin/buf');
    const r = spawnSync(buf, ['build', sharedKfp, '--exclude-source-info', '-o', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, `buf build ${sharedKfp} failed: ${r.error?.message ?? r.stderr}`);
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(out)));
    return registry;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function kfpMessage(name: string): DescMessage {
  const m = kfpRegistry().getMessage(`ml_pipelines.${name}`);
  assert.ok(m, `no message ml_pipelines.${name} in ${sharedKfp}`);
  return m;
}

/** Strict proto3-JSON parse (throws on an unknown key, a bad enum, a wrong type). */
export function parseStrict(name: string, json: unknown): void {
  fromJson(kfpMessage(name), json as JsonValue, { ignoreUnknownFields: false });
}

type Obj = Record<string, any>;

const K8S = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PIPELINE_NAME = /^[a-z0-9][a-z0-9-]{0,127}$/;

/** Placeholders KFP's launcher substitutes (launcher_v2.go getPlaceholders), and nothing else. */
function checkPlaceholders(arg: string, component: Obj, where: string): void {
  for (const m of arg.matchAll(/\{\{\$[^}]*\}\}/g)) {
    const p = m[0];
    if (p === '{{$}}') continue;
    let r = /^\{\{\$\.(inputs|outputs)\.artifacts\['([^']+)'\]\.(path|uri)\}\}$/.exec(p);
    if (r) {
      const defs = r[1] === 'inputs' ? component.inputDefinitions?.artifacts : component.outputDefinitions?.artifacts;
      assert.ok(defs?.[r[2] as string], `${where}: placeholder ${p} names an artifact the component does not declare`);
      continue;
    }
    r = /^\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}$/.exec(p) ?? /^\{\{\$\.outputs\.parameters\['([^']+)'\]\.output_file\}\}$/.exec(p);
    assert.ok(r, `${where}: placeholder ${p} is not one KFP's launcher substitutes`);
  }
}

/**
 * Everything a KFP backend would resolve: parse strictly, then check references, names, the DAG
 * and the artifact types on both ends of every edge. Returns the tasks in dependency order.
 */
export function checkPipelineSpec(doc: Obj, o: { readonly placeholders?: boolean } = {}): string[] {
  parseStrict('PipelineSpec', doc);
  // deploymentSpec is a Struct in PipelineSpec (anything goes): parse it as what the backend decodes it to.
  parseStrict('PipelineDeploymentConfig', doc.deploymentSpec);
  assert.equal(doc.schemaVersion, '2.1.0', 'KFP v2 requires schemaVersion 2.1.0');
  assert.match(doc.pipelineInfo?.name ?? '', PIPELINE_NAME, 'pipelineInfo.name');
  const components: Obj = doc.components ?? {};
  const executors: Obj = doc.deploymentSpec?.executors ?? {};
  const tasks: Obj = doc.root?.dag?.tasks ?? {};
  const rootParams: Obj = doc.root?.inputDefinitions?.parameters ?? {};
  assert.ok(Object.keys(tasks).length > 0, 'the DAG has tasks');
  for (const name of Object.keys(components)) assert.match(name, /^comp-[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `component key ${name}`);
  for (const name of Object.keys(executors)) assert.match(name, /^exec-[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `executor label ${name}`);

  for (const [taskName, task] of Object.entries<Obj>(tasks)) {
    assert.match(taskName, K8S, `task name ${taskName}`);
    const comp = components[task.componentRef?.name];
    assert.ok(comp, `task ${taskName}: componentRef ${task.componentRef?.name} does not resolve`);
    if (comp.executorLabel) {
      const ex = executors[comp.executorLabel];
      assert.ok(ex?.container, `task ${taskName}: executorLabel ${comp.executorLabel} does not resolve to a container executor`);
      if (o.placeholders !== false) for (const [i, a] of [...(ex.container.command ?? []), ...(ex.container.args ?? [])].entries()) checkPlaceholders(String(a), comp, `${comp.executorLabel} argv[${i}]`);
    }
    const deps = new Set<string>(task.dependentTasks ?? []);
    for (const d of deps) assert.ok(tasks[d], `task ${taskName}: dependentTasks names unknown task ${d}`);
    const inArtifacts: Obj = task.inputs?.artifacts ?? {};
    for (const key of Object.keys(comp.inputDefinitions?.artifacts ?? {})) assert.ok(inArtifacts[key], `task ${taskName}: input artifact ${key} is not bound`);
    for (const [key, binding] of Object.entries<Obj>(inArtifacts)) {
      const consumerType = comp.inputDefinitions?.artifacts?.[key]?.artifactType;
      assert.ok(consumerType, `task ${taskName}: binds artifact ${key} its component does not declare`);
      const t = binding.taskOutputArtifact;
      assert.ok(t, `task ${taskName}: artifact ${key} is not a taskOutputArtifact`);
      const producer = tasks[t.producerTask];
      assert.ok(producer, `task ${taskName}: producerTask ${t.producerTask} does not resolve`);
      assert.ok(deps.has(t.producerTask), `task ${taskName}: producer ${t.producerTask} is not in dependentTasks`);
      const producedType = components[producer.componentRef.name]?.outputDefinitions?.artifacts?.[t.outputArtifactKey]?.artifactType;
      assert.ok(producedType, `task ${taskName}: ${t.producerTask} has no output ${t.outputArtifactKey}`);
      assert.deepEqual(consumerType, producedType, `task ${taskName}: input ${key} is ${JSON.stringify(consumerType)} but ${t.producerTask}.${t.outputArtifactKey} is ${JSON.stringify(producedType)}`);
    }
    const inParams: Obj = task.inputs?.parameters ?? {};
    for (const key of Object.keys(comp.inputDefinitions?.parameters ?? {})) assert.ok(inParams[key], `task ${taskName}: parameter ${key} is not bound`);
    for (const [key, binding] of Object.entries<Obj>(inParams)) {
      assert.ok(comp.inputDefinitions?.parameters?.[key], `task ${taskName}: binds parameter ${key} its component does not declare`);
      if (binding.componentInputParameter) assert.ok(rootParams[binding.componentInputParameter], `task ${taskName}: pipeline parameter ${binding.componentInputParameter} does not exist`);
      else assert.ok(binding.runtimeValue, `task ${taskName}: parameter ${key} is bound neither to a pipeline parameter nor a constant`);
    }
  }
  // Acyclic: Kahn's algorithm over dependentTasks.
  const order: string[] = [];
  const pending = new Map(Object.entries<Obj>(tasks).map(([n, t]) => [n, new Set<string>(t.dependentTasks ?? [])]));
  while (pending.size) {
    const ready = [...pending].filter(([, d]) => [...d].every((x) => order.includes(x))).map(([n]) => n);
    assert.ok(ready.length, `the DAG has a cycle among ${[...pending.keys()].join(', ')}`);
    for (const n of ready.sort()) {
      order.push(n);
      pending.delete(n);
    }
  }
  return order;
}
