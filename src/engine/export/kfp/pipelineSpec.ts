/**
 * A Pipewise pipeline as a Kubeflow Pipelines v2 PipelineSpec (the IR the KFP SDK compiles to,
 * `schemaVersion: 2.1.0`, bare, not TFX's PipelineJob wrapper): one `comp-<stage>` component and
 * one `exec-<stage>` container executor per stage, each running `pipewise execute` on that one
 * stage. Artifacts pass as `taskOutputArtifact` edges (each also a `dependentTasks` entry); stage
 * parameters become pipeline input parameters with their defaults, so KFP's run form can change
 * them. Arguments stay short: the pipeline file's name, the stage, `{{$}}` and artifact paths.
 */
import type { ComponentDeclaration } from '../../../core/component';
import { stageDeclaration } from '../../../core/catalogue';
import { buildGraph, topologicalOrder } from '../../../core/dag';
import { PipewiseError } from '../../../core/errors';
import type { StageSpec } from '../../../core/spec';
import {
  CLASSIFICATION_OUTPUT,
  CLASSIFICATION_TITLE,
  FINGERPRINT_PARAM,
  K8S_NAME_RE,
  k8sName,
  parameterTypeOf,
  PIPELINE_NAME_RE,
  pipelineParamName,
  schemaTitleOf,
  type ParameterType,
} from './naming';

/** Loosely typed JSON of the proto3-JSON mapping; the test layer parses it strictly with the real descriptor. */
type Json = Record<string, unknown>;

export interface StagePlan {
  readonly stage: StageSpec;
  readonly declaration: ComponentDeclaration;
  /** Parameters after the component's defaults, JSON-clean (no undefined). */
  readonly params: Readonly<Record<string, unknown>>;
  /** sha256 of the local files the stage reads from outside the store, or undefined. */
  readonly fingerprint?: string;
}

export interface PipelineSpecOptions {
  readonly pipelineName: string;
  /** The pipeline file's path relative to the image's WORKDIR (the container's working folder). */
  readonly pipelineFile: string;
  readonly image: string;
  readonly pipelineRoot?: string;
  readonly enableCache: boolean;
  readonly sdkVersion: string;
}

/** The declaration of a stage's component (built-in, or a user module already loaded). */
export function declarationOf(stage: StageSpec, user: ComponentDeclaration | Error | undefined): ComponentDeclaration {
  if (user instanceof Error) throw new PipewiseError(`stage '${stage.name}': ${user.message}`);
  const d = user ?? stageDeclaration(stage.component, stage.params);
  if (!d) throw new PipewiseError(`stage '${stage.name}': unknown component '${stage.component}'`);
  return d;
}

/** The input and output artifact definitions of a stage's component. */
function artifactDefinitions(p: StagePlan): { inputs: Json; outputs: Json } {
  const inputs: Json = {};
  for (const name of Object.keys(p.stage.inputs)) {
    const port = p.declaration.inputs[name];
    if (!port) throw new PipewiseError(`stage '${p.stage.name}': ${p.declaration.name} has no input '${name}'`);
    inputs[name] = { artifactType: { schemaTitle: schemaTitleOf(port.type), schemaVersion: '0.0.1' } };
  }
  const outputs: Json = {};
  for (const [name, port] of Object.entries(p.declaration.outputs)) {
    outputs[name] = { artifactType: { schemaTitle: schemaTitleOf(port.type), schemaVersion: '0.0.1' } };
  }
  if (p.declaration.name === 'Evaluator') outputs[CLASSIFICATION_OUTPUT] = { artifactType: { schemaTitle: CLASSIFICATION_TITLE, schemaVersion: '0.0.1' } };
  return { inputs, outputs };
}

/** The container's arguments: `pipewise execute FILE --stage S --executor-input {{$}} --input N PATH … --output N PATH …`. */
export function executorArgs(p: StagePlan, pipelineFile: string, outputs: readonly string[]): string[] {
  const args = [pipelineFile, '--stage', p.stage.name, '--executor-input', '{{$}}'];
  for (const name of Object.keys(p.stage.inputs)) args.push('--input', name, `{{$.inputs.artifacts['${name}'].path}}`);
  for (const name of outputs) args.push('--output', name, `{{$.outputs.artifacts['${name}'].path}}`);
  return args;
}

export function buildPipelineSpec(plans: readonly StagePlan[], o: PipelineSpecOptions): Json {
  const pipelineName = k8sName(o.pipelineName);
  if (!PIPELINE_NAME_RE.test(pipelineName)) {
    throw new PipewiseError(`pipeline name ${JSON.stringify(o.pipelineName)} gives ${JSON.stringify(pipelineName)}, which Kubeflow Pipelines refuses (it must match ${PIPELINE_NAME_RE.source})`);
  }
  const byName = new Map(plans.map((p) => [p.stage.name, p]));
  const taskName = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const p of plans) {
    const k = k8sName(p.stage.name);
    if (!K8S_NAME_RE.test(k) || k.length > 50) {
      throw new PipewiseError(`stage name '${p.stage.name}' gives the Kubernetes name ${JSON.stringify(k)}, which is not valid (lowercase letters, digits and '-', at most 50 characters)`);
    }
    const other = seen.get(k);
    if (other) throw new PipewiseError(`stages '${other}' and '${p.stage.name}' both become the Kubernetes name '${k}'; rename one`);
    seen.set(k, p.stage.name);
    taskName.set(p.stage.name, k);
  }

  const components: Json = {};
  const executors: Json = {};
  const tasks: Json = {};
  const rootParams: Json = {};
  const order = topologicalOrder(buildGraph({ file: o.pipelineFile, name: o.pipelineName, store: '', stages: plans.map((p) => p.stage) }));
  for (const stageName of order) {
    const p = byName.get(stageName) as StagePlan;
    const k = taskName.get(stageName) as string;
    const { inputs: inArtifacts, outputs: outArtifacts } = artifactDefinitions(p);
    const inParams: Json = {};
    const taskParams: Json = {};
    for (const [param, value] of Object.entries(p.params)) {
      const declared = (p.declaration.params as { shape?: Record<string, unknown> }).shape?.[param];
      const parameterType: ParameterType = parameterTypeOf(value, declared as never);
      inParams[param] = { parameterType };
      const rootName = pipelineParamName(stageName, param);
      if (rootParams[rootName]) throw new PipewiseError(`pipeline parameter '${rootName}' would come from two stages; rename a stage`);
      rootParams[rootName] = { parameterType, defaultValue: value };
      taskParams[param] = { componentInputParameter: rootName };
    }
    if (p.fingerprint) {
      inParams[FINGERPRINT_PARAM] = { parameterType: 'STRING' };
      taskParams[FINGERPRINT_PARAM] = { runtimeValue: { constant: p.fingerprint } };
    }
    const component: Json = { executorLabel: `exec-${k}` };
    if (Object.keys(inArtifacts).length || Object.keys(inParams).length) {
      component.inputDefinitions = {
        ...(Object.keys(inArtifacts).length ? { artifacts: inArtifacts } : {}),
        ...(Object.keys(inParams).length ? { parameters: inParams } : {}),
      };
    }
    component.outputDefinitions = { artifacts: outArtifacts };
    components[`comp-${k}`] = component;
    executors[`exec-${k}`] = {
      container: { image: o.image, command: ['pipewise', 'execute'], args: executorArgs(p, o.pipelineFile, Object.keys(outArtifacts)) },
    };

    const taskArtifacts: Json = {};
    const dependents = new Set<string>();
    for (const [name, ref] of Object.entries(p.stage.inputs)) {
      const producer = taskName.get(ref.stage);
      if (!producer) throw new PipewiseError(`stage '${stageName}': input '${name}' reads from stage '${ref.stage}', which does not exist`);
      taskArtifacts[name] = { taskOutputArtifact: { producerTask: producer, outputArtifactKey: ref.output } };
      dependents.add(producer);
    }
    const task: Json = {
      taskInfo: { name: k },
      componentRef: { name: `comp-${k}` },
      cachingOptions: { enableCache: o.enableCache },
    };
    if (dependents.size) task.dependentTasks = [...dependents].sort();
    if (Object.keys(taskArtifacts).length || Object.keys(taskParams).length) {
      task.inputs = {
        ...(Object.keys(taskArtifacts).length ? { artifacts: taskArtifacts } : {}),
        ...(Object.keys(taskParams).length ? { parameters: taskParams } : {}),
      };
    }
    tasks[k] = task;
  }

  const root: Json = { dag: { tasks } };
  if (Object.keys(rootParams).length) root.inputDefinitions = { parameters: rootParams };
  return {
    pipelineInfo: { name: pipelineName, displayName: o.pipelineName, description: `Pipewise pipeline ${o.pipelineFile}, one container step per stage (pipewise execute).` },
    deploymentSpec: { executors },
    components,
    root,
    schemaVersion: '2.1.0',
    sdkVersion: o.sdkVersion,
    ...(o.pipelineRoot ? { defaultPipelineRoot: o.pipelineRoot } : {}),
  };
}
