/**
 * `pipewise execute`: one stage of a pipeline inside a Kubeflow Pipelines container step. The
 * launcher has downloaded each input artifact to a local path and gives each output a local path
 * whose parent exists; this runs the stage's component on them with the parameters of the
 * ExecutorInput, writes each output folder whole (into a temporary sibling, then renamed; plain
 * files, no directory-marker objects), and writes the ExecutorOutput with each artifact's metadata
 * (the properties the component recorded; scalar metrics and a confusion matrix for KFP's UI).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import type { ArtifactRef } from '../../../core/artifacts';
import { CancelledError, PipewiseError } from '../../../core/errors';
import { confinePath } from '../../../core/paths';
import type { ComponentContext, ComponentExecutor } from '../../component';
import { loadExecutor } from '../../components/index';
import type { EvaluationFile } from '../../components/evaluator';
import { loadPipeline, SpecError } from '../../orchestrator';
import { loadUserComponent } from '../../userComponent';
import { writeFileAtomic } from '../../store';
import { confusionMatrixMetadata, executorOutput, parseExecutorInput, scalarMetrics } from './executorIo';
import { CLASSIFICATION_OUTPUT, FINGERPRINT_PARAM } from './naming';
import { declarationOf } from './pipelineSpec';

export interface ExecuteStageOptions {
  readonly file: string;
  readonly stage: string;
  readonly executorInput: string;
  /** Input name → local path (`{{$.inputs.artifacts['NAME'].path}}`). */
  readonly inputs: Readonly<Record<string, string>>;
  /** Output name → local path (`{{$.outputs.artifacts['NAME'].path}}`). */
  readonly outputs: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface ExecuteStageResult {
  readonly executorOutput: Record<string, unknown>;
  /** Where it was written, when the ExecutorInput named a file. */
  readonly outputFile?: string;
}

async function assertExists(p: string, what: string): Promise<void> {
  if (!(await fs.stat(p).catch(() => undefined))) throw new PipewiseError(`${what}: nothing at ${p} (did the launcher download it?)`, { file: p });
}

export async function executeStage(o: ExecuteStageOptions): Promise<ExecuteStageResult> {
  const log = o.log ?? (() => undefined);
  const input = parseExecutorInput(o.executorInput);
  const file = path.resolve(o.file);
  const loaded = await loadPipeline(file);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !loaded.spec) throw new SpecError(errors);
  const stage = loaded.spec.stages.find((s) => s.name === o.stage);
  if (!stage) throw new PipewiseError(`no stage '${o.stage}' in this pipeline (stages: ${loaded.spec.stages.map((s) => s.name).join(', ')})`, { file, code: 'usage' });
  const user = loaded.userComponents.get(stage.component);
  const declaration = declarationOf(stage, user instanceof Error ? user : user?.declaration);
  // Running the stage is the one place its user module is loaded (reading the pipeline never runs it).
  const module = user && !(user instanceof Error) ? await loadUserComponent(path.dirname(file), stage.component) : undefined;
  let executor: ComponentExecutor | undefined = module?.executor;
  executor ??= (await loadExecutor(stage.component)) as ComponentExecutor | undefined;
  if (!executor) throw new PipewiseError(`component ${stage.component} has no executor in this version of Pipewise`);

  // Parameters: the file's, overridden by the run's (KFP's run form may have changed them).
  const overrides = Object.fromEntries(Object.entries(input.parameterValues).filter(([k]) => k !== FINGERPRINT_PARAM));
  const parsed = (declaration.params as z.ZodType).safeParse({ ...stage.params, ...overrides });
  if (!parsed.success) throw new PipewiseError(`stage '${stage.name}': invalid parameters: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const params = parsed.data as Record<string, unknown>;

  const inputs: Record<string, ArtifactRef> = {};
  for (const [name, ref] of Object.entries(stage.inputs)) {
    const local = o.inputs[name];
    if (!local) throw new PipewiseError(`stage '${stage.name}': no local path for input '${name}' (give --input ${name} PATH)`, { code: 'usage' });
    await assertExists(local, `input '${name}'`);
    const runtime = input.inputArtifacts[name];
    inputs[name] = {
      id: runtime?.uri || local,
      type: declaration.inputs[name]?.type ?? 'Examples',
      uri: path.resolve(local),
      stage: ref.stage,
      output: ref.output,
      executionId: 'kfp',
      fingerprint: '',
      properties: runtime?.metadata ?? {},
    };
  }
  for (const name of Object.keys(o.inputs)) if (!stage.inputs[name]) throw new PipewiseError(`stage '${stage.name}' has no input '${name}'`, { code: 'usage' });

  const outputNames = [...Object.keys(declaration.outputs), ...(declaration.name === 'Evaluator' ? [CLASSIFICATION_OUTPUT] : [])];
  for (const name of Object.keys(o.outputs)) if (!outputNames.includes(name)) throw new PipewiseError(`stage '${stage.name}' has no output '${name}' (outputs: ${outputNames.join(', ')})`, { code: 'usage' });
  const finals: Record<string, string> = {};
  const temps: Record<string, string> = {};
  const suffix = `.pipewise-${process.pid}-${randomBytes(3).toString('hex')}.tmp`;
  for (const name of outputNames) {
    const p = o.outputs[name];
    if (!p) throw new PipewiseError(`stage '${stage.name}': no local path for output '${name}' (give --output ${name} PATH)`, { code: 'usage' });
    finals[name] = path.resolve(p);
    temps[name] = `${finals[name]}${suffix}`;
    await fs.mkdir(temps[name], { recursive: true });
  }

  const properties: Record<string, Record<string, unknown>> = {};
  // The lineage store of a step is its own and empty: on KFP, ML Metadata keeps the lineage.
  const storeDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-step-'));
  const pipelineDir = path.dirname(file);
  const signal = o.signal ?? new AbortController().signal;
  const ctx: ComponentContext = {
    stage: stage.name,
    runId: 'kfp',
    executionId: `kfp-${randomBytes(4).toString('hex')}`,
    params,
    inputs,
    outputs: temps,
    pipelineDir,
    storeDir,
    resolvePath: (p, param) => confinePath(pipelineDir, p, param),
    signal,
    log,
    progress: (fraction, message) => {
      if (message) log('info', `${fraction !== undefined ? `${Math.round(fraction * 100)}% ` : ''}${message}`);
    },
    metrics: (point) => log('info', `metrics ${JSON.stringify(point)}`),
    setProperties: (output, props) => {
      if (!outputNames.includes(output)) throw new Error(`setProperties: ${declaration.name} has no output '${output}'`);
      properties[output] = { ...properties[output], ...props };
    },
  };
  try {
    await executor.run(ctx);
    if (signal.aborted) throw new CancelledError();
    const metadata: Record<string, Record<string, unknown>> = {};
    for (const name of outputNames) metadata[name] = properties[name] ?? {};
    if (declaration.name === 'Evaluator') await evaluatorMetadata(temps, metadata);
    for (const name of outputNames) {
      const final = finals[name] as string;
      await fs.rm(final, { recursive: true, force: true });
      await fs.rename(temps[name] as string, final);
    }
    const out = executorOutput(metadata);
    if (input.outputFile) await writeFileAtomic(input.outputFile, JSON.stringify(out));
    return { executorOutput: out, outputFile: input.outputFile };
  } finally {
    for (const t of Object.values(temps)) await fs.rm(t, { recursive: true, force: true });
    await fs.rm(storeDir, { recursive: true, force: true });
  }
}

/** The Evaluator's overall metrics as `system.Metrics` scalars, and its confusion matrix (classifiers) as `system.ClassificationMetrics`. */
async function evaluatorMetadata(dirs: Record<string, string>, metadata: Record<string, Record<string, unknown>>): Promise<void> {
  const evaluationDir = dirs.evaluation as string;
  const file = JSON.parse(await fs.readFile(path.join(evaluationDir, 'metrics.json'), 'utf8')) as EvaluationFile;
  const overall = file.slices.find((s) => Object.keys(s.slice).length === 0) ?? file.slices[0];
  metadata.evaluation = scalarMetrics(overall?.metrics ?? {});
  const cmDir = dirs[CLASSIFICATION_OUTPUT] as string;
  const cm = overall?.confusionMatrix;
  if (cm) {
    metadata[CLASSIFICATION_OUTPUT] = confusionMatrixMetadata(cm);
    await writeFileAtomic(path.join(cmDir, 'confusion_matrix.json'), JSON.stringify({ classes: cm.classes, matrix: cm.matrix, label: file.label, split: file.split }, null, 1));
  } else {
    metadata[CLASSIFICATION_OUTPUT] = {};
    await writeFileAtomic(path.join(cmDir, 'confusion_matrix.json'), JSON.stringify({ reason: `a ${file.task} model: no confusion matrix` }));
  }
}
