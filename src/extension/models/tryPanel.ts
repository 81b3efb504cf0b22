/**
 * "Try the model": a form generated from the served model's signature (GET …/metadata names the raw
 * input features), with drop-downs from the schema's string domains, the training split's range as
 * a hint beside number inputs, and a real example row (the eval split's first) prefilled. Predict
 * sends `:predict` in the row format to the local server from the extension host (the webview does
 * no network) and shows the answer and the version that answered. One panel per model.
 */
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PreviewRows } from '../../protocol/data';
import type { FromTryMessage, ToTryMessage, TryAnswer, TryField, TryForm, TryRender, TryValue } from '../../protocol/tryModel';
import type { PipewiseContext } from '../context';
import { WebviewHost } from '../webviewHost';
import { getJson, postJson } from './localHttp';
import type { ModelServers } from './modelServers';
import type { PushedModel } from './pushedModels';
import { featureName, normalizeStatisticsList, type Schema } from '../../core/tfdv';
import { TRY_VIEW_TYPE } from '../contributionIds';


interface SignatureInput {
  readonly dtype?: string;
}
interface Metadata {
  readonly metadata?: { readonly signature_def?: { readonly signature_def?: Record<string, { inputs?: Record<string, SignatureInput> }> } };
}

async function readJson<T>(file: string | undefined): Promise<T | undefined> {
  if (!file) return undefined;
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The feature a server error names (`feature 'x'`), if any. */
export function featureOfError(message: string): string | undefined {
  return /feature '([^']+)'/.exec(message)?.[1];
}

export class TryPanel extends WebviewHost<ToTryMessage, FromTryMessage, TryRender, { base: string }> {
  private form: TryForm | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly ctx: PipewiseContext,
    private readonly servers: ModelServers,
    readonly model: PushedModel,
  ) {
    super(panel, {
      extensionUri: ctx.extension.extensionUri,
      bundle: 'try',
      stylesheet: 'try.css',
      icon: 'panels-icon.svg',
      title: `Try: ${model.label}`,
      body: '<main id="app" aria-live="polite"><p class="hint">Reading the model\'s signature…</p></main>',
      initialState: { base: model.base },
      log: ctx.log,
      label: 'try',
    });
    this._register(servers.onDidChange(() => this.postServer()));
  }

  protected async onReady(): Promise<void> {
    await this.load();
  }

  private postServer(): void {
    const s = this.servers.get(this.model.base);
    this.post(s ? { type: 'server', running: true } : { type: 'server', running: false, message: `No local server serves '${this.model.name}': start it from the Models view.` });
  }

  /** Builds the form from the running server's metadata, the schema, the statistics and an example row. */
  async load(): Promise<void> {
    const server = this.servers.get(this.model.base);
    if (!server) {
      this.postServer();
      return;
    }
    const meta = await getJson(`${server.url}/metadata`);
    const inputs = (meta.body as Metadata).metadata?.signature_def?.signature_def?.serving_default?.inputs;
    if (meta.status !== 200 || !inputs) {
      this.post({ type: 'failure', message: `${server.url}/metadata answered ${meta.status}: ${JSON.stringify(meta.body).slice(0, 300)}` });
      return;
    }
    const version = this.model.versions.find((v) => String(v.version) === server.version) ?? this.model.versions[0];
    const schema = await readJson<Partial<Schema>>(version?.schema);
    const rawStats = await readJson<unknown>(version?.statistics);
    const stats = rawStats === undefined ? undefined : normalizeStatisticsList(rawStats);
    const train = stats?.datasets.find((d) => d.name === 'train') ?? stats?.datasets[0];
    const domains = new Map((schema?.stringDomain ?? []).map((d) => [d.name, d.value ?? []]));
    const example = await this.exampleRow(version?.examples);
    const signature = await readJson<{ task?: string; label?: string }>(version ? path.join(version.dir, 'signature.json') : undefined);
    const fields: TryField[] = Object.entries(inputs).map(([name, input]) => {
      const type = input.dtype === 'DT_STRING' ? 'string' : 'number';
      const f = schema?.feature?.find((x) => x.name === name);
      const options = f?.stringDomain?.value ?? (f?.domain ? domains.get(f.domain) : undefined);
      const num = train?.features.find((x) => featureName(x) === name)?.numStats;
      const raw = example?.row[name];
      const value: TryValue = raw === undefined || raw === null ? null : type === 'number' ? Number(raw) : String(raw);
      return {
        name,
        type,
        ...(type === 'string' && options?.length ? { options } : {}),
        ...(type === 'number' && num?.min !== undefined ? { min: num.min } : {}),
        ...(type === 'number' && num?.max !== undefined ? { max: num.max } : {}),
        ...(type === 'number' && num?.mean !== undefined ? { mean: num.mean } : {}),
        value,
      };
    });
    this.form = {
      model: this.model.name,
      url: server.url,
      ...(signature?.task ? { task: signature.task } : {}),
      ...(signature?.label ? { label: signature.label } : {}),
      fields,
      ...(example ? { example: example.where } : {}),
    };
    this.post({ type: 'form', form: this.form });
  }

  /** The first row of the eval split (else the train split) of the examples the model was trained from. */
  private async exampleRow(examples: string | undefined): Promise<{ row: Record<string, unknown>; where: string } | undefined> {
    if (!examples) return undefined;
    for (const split of ['eval', 'train']) {
      const file = path.join(examples, `Split-${split}`, 'data.parquet');
      try {
        await fs.access(file);
        const r = await this.ctx.worker.request(PreviewRows, { source: { kind: 'file', path: file, format: 'parquet' }, offset: 0, limit: 1 });
        const cells = r.rows[0];
        if (!cells) continue;
        return { row: Object.fromEntries(r.columns.map((c, i) => [c.name, cells[i]])), where: `row 1 of the ${split} split` };
      } catch (e) {
        this.log.warn(`[try] no example row from ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return undefined;
  }

  /** Sends one row to the local server: the version that serves by default answers, named. */
  async predict(instance: Readonly<Record<string, TryValue>>): Promise<void> {
    const server = this.servers.get(this.model.base);
    if (!server) {
      this.postServer();
      return;
    }
    const started = Date.now();
    try {
      // Ask which version serves now and address it, so the answer's version is known for sure.
      const version = server.version ?? '';
      const url = version ? `${server.url}/versions/${encodeURIComponent(version)}:predict` : `${server.url}:predict`;
      const r = await postJson(url, { instances: [instance] });
      const body = r.body as { error?: unknown; predictions?: unknown[] };
      if (r.status !== 200 || typeof body.error === 'string') {
        const message = typeof body.error === 'string' ? body.error : `the server answered ${r.status}`;
        const feature = featureOfError(message);
        this.post({ type: 'failure', message, ...(feature ? { feature } : {}) });
        return;
      }
      const p = (body.predictions?.[0] ?? {}) as { prediction?: string | number; scores?: number[]; score?: number; classes?: string[] };
      const classes = p.classes ?? [];
      const probs = Array.isArray(p.scores) ? p.scores : typeof p.score === 'number' && classes.length === 2 ? [1 - p.score, p.score] : undefined;
      const answer: TryAnswer = {
        version,
        prediction: p.prediction ?? '',
        ...(probs ? { classes: classes.map((name, i) => ({ name, probability: probs[i] ?? 0 })) } : {}),
        elapsedMs: Date.now() - started,
      };
      this.post({ type: 'answer', answer });
    } catch (e) {
      this.post({ type: 'failure', message: e instanceof Error ? e.message : String(e) });
    }
  }

  protected async onMessage(m: FromTryMessage): Promise<void> {
    if (m.type === 'predict') await this.predict(m.instance);
    else if (m.type === 'rendered') this.rendered(m.render);
  }

  /** Tests: makes the webview submit its form as a click on Predict would. */
  submit(): void {
    this.post({ type: 'submit' });
  }
}
