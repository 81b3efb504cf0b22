/**
 * InfraValidator: loads the model in the real serving runtime (src/engine/serving/server.ts, an HTTP
 * server on 127.0.0.1 and a free port), sends `num_requests` canary requests built from real
 * examples, and checks each answer: the HTTP status, the shape of the outputs for the model's task,
 * and that serving predicts what the model predicts in process. As in TFX, a model that fails to load
 * or to answer is INFRA_NOT_BLESSED and the stage itself succeeds. The server is always closed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { InfraValidator } from '../../core/components/modelComponents';
import { PipewiseError, errorMessage } from '../../core/errors';
import type { ComponentContext, ComponentExecutor } from '../component';
import type { ModelSignature, Prediction, ServingModel } from '../model/servingModel';
import { startModelServer, type ModelServer } from '../serving/server';
import { writeFileAtomic } from '../store';
import { withConnection } from '../duckdb';
import { readSplit, type RawRow } from '../evaluation/examples';
import { loadModel, type ModelLoader } from '../evaluation/predict';

export type InfraValidatorParams = z.output<typeof InfraValidator.params>;

export interface CanaryResult {
  readonly request: number;
  /** Index of the example in the split. */
  readonly example: number;
  readonly status?: number;
  readonly ok: boolean;
  readonly message: string;
}

/** validation.json, beside INFRA_BLESSED / INFRA_NOT_BLESSED. */
export interface InfraValidationFile {
  readonly blessed: boolean;
  readonly reason?: string;
  readonly server?: { readonly host: string; readonly port: number; readonly predictUrl: string };
  readonly canaries: readonly CanaryResult[];
}

const REQUEST_TIMEOUT_MS = 30_000;

/** What is wrong with one served prediction for this signature, or undefined when it is sound. */
export function checkPrediction(signature: ModelSignature, p: unknown): string | undefined {
  if (p === null || typeof p !== 'object') return `the prediction is not an object: ${JSON.stringify(p)}`;
  const { score, scores, prediction } = p as Partial<Prediction>;
  const classes = signature.classes ?? [];
  const isProbability = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
  switch (signature.task) {
    case 'binary':
      if (!isProbability(score)) return `score ${JSON.stringify(score)} is not a probability`;
      if (!classes.includes(String(prediction))) return `prediction ${JSON.stringify(prediction)} is not one of the classes ${JSON.stringify(classes)}`;
      return undefined;
    case 'multiclass': {
      if (!Array.isArray(scores) || scores.length !== classes.length || !scores.every(isProbability)) {
        return `scores ${JSON.stringify(scores)} are not ${classes.length} class probabilities`;
      }
      const sum = scores.reduce((a: number, b: number) => a + b, 0);
      if (Math.abs(sum - 1) > 1e-3) return `class probabilities sum to ${sum}, not 1`;
      if (!classes.includes(String(prediction))) return `prediction ${JSON.stringify(prediction)} is not one of the classes ${JSON.stringify(classes)}`;
      return undefined;
    }
    case 'regression':
      return typeof prediction === 'number' && Number.isFinite(prediction) ? undefined : `prediction ${JSON.stringify(prediction)} is not a finite number`;
  }
}

function close(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Whether the served prediction equals the in-process one (numbers to a relative 1e-6). */
function samePrediction(served: Prediction, local: Prediction): boolean {
  if (typeof local.prediction === 'number') {
    if (typeof served.prediction !== 'number' || !close(served.prediction, local.prediction)) return false;
  } else if (String(served.prediction) !== String(local.prediction)) return false;
  if (!close(served.score, local.score)) return false;
  const a = served.scores ?? [];
  const b = local.scores ?? [];
  return a.length === b.length && a.every((v, i) => close(v, b[i]));
}

export function createInfraValidator(load: ModelLoader = loadModel): ComponentExecutor<InfraValidatorParams> {
  return {
    name: 'InfraValidator',
    async run(ctx: ComponentContext<InfraValidatorParams>): Promise<void> {
      const { num_requests: numRequests, split } = ctx.params;
      const modelArtifact = ctx.inputs.model;
      const examples = ctx.inputs.examples;
      if (!modelArtifact || !examples) throw new PipewiseError('InfraValidator needs its model and examples inputs');
      const outDir = ctx.outputs.infra_blessing as string;

      // Bad canary data is the pipeline's fault, not the model's: it fails the stage.
      const table = await withConnection((conn) => readSplit(conn, examples.uri, split), ctx.signal);
      if (table.rows.length === 0) throw new PipewiseError(`the split '${split}' of ${examples.uri} has no examples to build canary requests from`);

      const canaries: CanaryResult[] = [];
      let reason: string | undefined;
      let model: ServingModel | undefined;
      let server: ModelServer | undefined;
      try {
        try {
          model = await load(modelArtifact.uri);
        } catch (e) {
          reason = `the model did not load: ${errorMessage(e)}`;
        }
        if (model) {
          const signature = model.signature;
          server = await startModelServer({ name: ctx.stage, model });
          ctx.log('info', `model server on ${server.url} (model '${ctx.stage}')`);
          const inputs = signature.inputs.map((i) => i.name);
          for (let r = 0; r < numRequests; r++) {
            if (ctx.signal.aborted) break;
            const example = r % table.rows.length;
            const source = table.rows[example] as RawRow;
            // A canary carries only what serving clients send: the raw inputs, never the label.
            const instance: RawRow = {};
            for (const name of inputs) instance[name] = source[name] ?? null;
            canaries.push(await sendCanary(server, r, example, instance, model, signature, ctx.signal));
            ctx.progress((r + 1) / numRequests, `canary ${r + 1}/${numRequests}`);
          }
          const bad = canaries.find((c) => !c.ok);
          if (bad) reason = `canary request ${bad.request} failed: ${bad.message}`;
        }
      } finally {
        await server?.close();
        model?.dispose();
      }

      const blessed = reason === undefined && canaries.length === numRequests;
      const file: InfraValidationFile = {
        blessed,
        ...(reason ? { reason } : {}),
        ...(server ? { server: { host: server.host, port: server.port, predictUrl: server.predictUrl } } : {}),
        canaries,
      };
      await writeFileAtomic(path.join(outDir, 'validation.json'), JSON.stringify(file, null, 1));
      await fs.writeFile(path.join(outDir, blessed ? 'INFRA_BLESSED' : 'INFRA_NOT_BLESSED'), '');
      ctx.setProperties('infra_blessing', { blessed });
      ctx.log(blessed ? 'info' : 'warn', blessed ? `INFRA_BLESSED: ${canaries.length} canary requests answered` : `INFRA_NOT_BLESSED: ${reason}`);
    },
  };
}

async function sendCanary(
  server: ModelServer,
  request: number,
  example: number,
  instance: RawRow,
  model: ServingModel,
  signature: ModelSignature,
  signal: AbortSignal,
): Promise<CanaryResult> {
  try {
    const res = await fetch(server.predictUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [instance] }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const body = (await res.json()) as { predictions?: unknown; error?: string };
    if (res.status !== 200) return { request, example, status: res.status, ok: false, message: body.error ?? `HTTP ${res.status}` };
    if (!Array.isArray(body.predictions) || body.predictions.length !== 1) {
      return { request, example, status: res.status, ok: false, message: `expected 1 prediction, got ${JSON.stringify(body.predictions)}` };
    }
    const served = body.predictions[0] as Prediction;
    const problem = checkPrediction(signature, served);
    if (problem) return { request, example, status: res.status, ok: false, message: problem };
    const [local] = await model.predict([instance]);
    if (!local || !samePrediction(served, local)) {
      return { request, example, status: res.status, ok: false, message: `served ${JSON.stringify(served)} but the model predicts ${JSON.stringify(local)} in process` };
    }
    return { request, example, status: res.status, ok: true, message: `predicted ${JSON.stringify(served.prediction)}` };
  } catch (e) {
    return { request, example, ok: false, message: `no answer: ${errorMessage(e)}` };
  }
}

export const infraValidator = createInfraValidator();
