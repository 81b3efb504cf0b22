/**
 * Pushed models, read from files only (no worker, no user code): each pipeline's Pusher stages give
 * a destination (a model base path with numbered version folders); the store's execution records
 * say which run pushed which version, and lineage leads from that push to the Evaluator's metrics
 * (its blessing input) and, through the Trainer and Transform, to the schema, the statistics and
 * the raw examples the model was trained on (the Try panel's form).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parsePipeline } from '../../core/parse';
import { modelVersions } from '../../engine/serving/modelVersions';
import { pathEscape } from '../../core/paths';
import { errorMessage } from '../../core/errors';
import { NO_ALIASES, readAliases, type ModelAliases } from '../../engine/serving/aliases';

export interface PushedVersion {
  readonly version: number;
  /** The version folder. */
  readonly dir: string;
  readonly pushedAt?: string;
  readonly runId?: string;
  /** From the Evaluator's metrics.json for this push. */
  readonly blessed?: boolean;
  /** The overall slice's metrics. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** The evaluation folder (metrics.json). */
  readonly evaluation?: string;
  /** schema.json, statistics.json and the raw examples folder the model was trained from. */
  readonly schema?: string;
  readonly statistics?: string;
  readonly examples?: string;
}

export interface PushedModel {
  /** TensorFlow Serving's model name: the destination's folder name. */
  readonly name: string;
  /**
   * What the Models view, Run Task and pickers call it: the name, or with its destination beside
   * it when another pushed model has the same name (a server push and a `target: web` push of one model).
   */
  readonly label: string;
  /** Whose request log folder under `requests/`: the name, or `<name>-<stage>` when another Pusher of the pipeline has that name. */
  readonly logName: string;
  readonly target: 'server' | 'web';
  /** The destination (model base path), absolute. */
  readonly base: string;
  readonly pipelineFile: string;
  readonly stage: string;
  /** Newest first. */
  readonly versions: readonly PushedVersion[];
  /** The registry's aliases (BASE/aliases.json; none when it has none, or when it is damaged). */
  readonly aliases: ModelAliases;
  /** Why BASE/aliases.json could not be read (it names the file). */
  readonly aliasError?: string;
}

/** The aliases that name `version`, sorted (champion first). */
export function aliasesOf(m: Pick<PushedModel, 'aliases'>, version: number): string[] {
  return Object.entries(m.aliases.aliases)
    .filter(([, v]) => v === version)
    .map(([name]) => name)
    .sort((a, b) => (a === 'champion' ? -1 : b === 'champion' ? 1 : a.localeCompare(b)));
}

/**
 * Where servers started from the Models view log a model's requests: `requests/NAME` beside the
 * pipeline file (the monitoring panel's folder picker starts at a `requests` folder there).
 */
export function requestLogDir(m: Pick<PushedModel, 'logName' | 'pipelineFile'>): string {
  return path.join(path.dirname(m.pipelineFile), 'requests', m.logName);
}

interface ExecutionFile {
  readonly id: string;
  readonly runId: string;
  readonly stage: string;
  readonly component: string;
  readonly startedAt?: string;
  readonly state?: string;
  readonly inputs?: readonly { readonly input: string; readonly artifactId: string; readonly uri: string }[];
  readonly outputs?: readonly { readonly output: string; readonly type: string; readonly uri: string; readonly properties?: Record<string, unknown> }[];
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Execution records as last read, by file. The view is read again after every run, and a store
 * holds every execution of every run: a record is parsed again only when its file changed.
 */
const executionCache = new Map<string, { readonly stamp: string; readonly value: ExecutionFile | undefined }>();

async function readExecution(file: string): Promise<ExecutionFile | undefined> {
  const st = await fs.stat(file).catch(() => undefined);
  if (!st) return undefined;
  const stamp = `${st.mtimeMs}:${st.size}`;
  const cached = executionCache.get(file);
  if (cached?.stamp === stamp) return cached.value;
  const value = await readJson<ExecutionFile>(file);
  executionCache.set(file, { stamp, value });
  return value;
}

/** Every pushed model of a pipeline file: one per Pusher stage, with its versions on disk. */
export async function readPushedModels(pipelineFile: string): Promise<PushedModel[]> {
  const text = await fs.readFile(pipelineFile, 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  const spec = parsePipeline(text, pipelineFile).spec;
  if (!spec) return [];
  const pushers = spec.stages.filter((s) => s.component === 'Pusher' && typeof s.params.destination === 'string');
  if (pushers.length === 0) return [];
  const execDir = path.join(path.dirname(pipelineFile), spec.store, 'metadata', 'executions');
  const executions = new Map<string, ExecutionFile>();
  const loadExec = async (id: string): Promise<ExecutionFile | undefined> => {
    if (!/^[\w.-]+$/.test(id)) return undefined;
    if (!executions.has(id)) {
      const e = await readExecution(path.join(execDir, `${id}.json`));
      if (e) executions.set(id, e);
    }
    return executions.get(id);
  };
  const names = (await fs.readdir(execDir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const pushes: ExecutionFile[] = [];
  for (const n of names) {
    const e = await loadExec(n.slice(0, -'.json'.length));
    if (e?.component === 'Pusher' && e.state === 'complete') pushes.push(e);
  }
  const models: PushedModel[] = [];
  for (const stage of pushers) {
    // As the Pusher confines it: a destination outside the pipeline's folder is never pushed to, nor listed and served here.
    if (pathEscape(path.dirname(pipelineFile), stage.params.destination as string)) continue;
    const base = path.resolve(path.dirname(pipelineFile), stage.params.destination as string);
    const byVersion = new Map<number, ExecutionFile>();
    for (const e of pushes) {
      if (e.stage !== stage.name) continue;
      const props = e.outputs?.find((o) => o.output === 'pushed_model')?.properties;
      if (props?.pushed === true && typeof props.version === 'number' && typeof props.pushed_uri === 'string' && path.resolve(path.dirname(props.pushed_uri)) === base) byVersion.set(props.version, e);
    }
    const versions: PushedVersion[] = [];
    for (const version of await modelVersions(base)) {
      const push = byVersion.get(version);
      versions.push({ version, dir: path.join(base, String(version)), ...(push ? await lineageOf(push, loadExec) : {}) });
    }
    const name = path.basename(base);
    let aliases = NO_ALIASES;
    let aliasError: string | undefined;
    try {
      aliases = await readAliases(base);
    } catch (e) {
      aliasError = errorMessage(e);
    }
    models.push({ name, label: name, logName: name, target: stage.params.target === 'web' ? 'web' : 'server', base, pipelineFile, stage: stage.name, versions, aliases, ...(aliasError ? { aliasError } : {}) });
  }
  // Two Pushers of one pipeline with one folder name (serving/churn, web/churn) must not share a request log.
  return models.map((m) => (models.some((o) => o !== m && o.name === m.name) ? { ...m, logName: `${m.name}-${m.stage}` } : m));
}

/** What a push's lineage says: its Evaluator's metrics, and the schema, statistics and examples upstream. */
async function lineageOf(push: ExecutionFile, loadExec: (id: string) => Promise<ExecutionFile | undefined>): Promise<Partial<PushedVersion>> {
  const out: { -readonly [K in keyof PushedVersion]?: PushedVersion[K] } = { runId: push.runId, ...(push.startedAt ? { pushedAt: push.startedAt } : {}) };
  const execOf = (artifactId: string): Promise<ExecutionFile | undefined> => loadExec(artifactId.split('/')[1] ?? '');
  const blessing = push.inputs?.find((i) => i.input === 'blessing');
  const evaluator = blessing ? await execOf(blessing.artifactId) : undefined;
  const evaluation = evaluator?.outputs?.find((o) => o.type === 'ModelEvaluation')?.uri;
  if (evaluation) {
    out.evaluation = evaluation;
    const m = await readJson<{ blessed?: boolean; slices?: { slice: Record<string, unknown>; metrics: Record<string, number> }[] }>(path.join(evaluation, 'metrics.json'));
    if (m) {
      if (typeof m.blessed === 'boolean') out.blessed = m.blessed;
      const overall = m.slices?.find((s) => Object.keys(s.slice).length === 0);
      if (overall) out.metrics = overall.metrics;
    }
  }
  // Upstream of the pushed model: the first schema, statistics and ExampleGen examples met.
  const seen = new Set<string>();
  const walk = async (queue: string[]): Promise<void> => {
    while (queue.length && (!out.schema || !out.statistics || !out.examples)) {
      const e = await execOf(queue.shift() as string);
      if (!e || seen.has(e.id)) continue;
      seen.add(e.id);
      for (const o of e.outputs ?? []) {
        if (o.type === 'Schema' && !out.schema) out.schema = path.join(o.uri, 'schema.json');
        if (o.type === 'ExampleStatistics' && !out.statistics) out.statistics = path.join(o.uri, 'statistics.json');
        if (o.type === 'Examples' && e.component === 'ExampleGen' && !out.examples) out.examples = o.uri;
      }
      for (const i of e.inputs ?? []) queue.push(i.artifactId);
    }
  };
  const model = push.inputs?.find((i) => i.input === 'model');
  await walk(model ? [model.artifactId] : []);
  // An imported model (the Importer reads a file) has no training examples upstream: the raw
  // examples its Evaluator scored stand in (the form's example row), and what lies above them.
  const evaluated = evaluator?.inputs?.find((i) => i.input === 'examples');
  if (!out.examples && evaluated) {
    out.examples = evaluated.uri;
    await walk([evaluated.artifactId]);
  }
  return out;
}

/** Every pushed model of the given pipeline files, ordered by name. */
export async function readAllPushedModels(files: readonly string[]): Promise<PushedModel[]> {
  const all = (await Promise.all(files.map((f) => readPushedModels(f)))).flat();
  // Models of one name are told apart by their destination, as the pipeline file names it ("churn (web/churn, web)").
  const labelled = all.map((m) =>
    all.some((o) => o !== m && o.name === m.name)
      ? { ...m, label: `${m.name} (${path.relative(path.dirname(m.pipelineFile), m.base).split(path.sep).join('/')}${m.target === 'web' ? ', web' : ''})` }
      : m,
  );
  return labelled.sort((a, b) => a.name.localeCompare(b.name) || a.pipelineFile.localeCompare(b.pipelineFile) || a.label.localeCompare(b.label));
}
