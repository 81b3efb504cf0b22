/**
 * Trainer: trains a TensorFlow.js model on transformed examples in the worker — a built-in linear,
 * DNN or wide-and-deep model, or the user's module — with seeded initialisation and shuffling,
 * early stopping on the eval split, per-epoch and throttled per-batch metrics, and cancellation
 * between batches — or a decision forest with Yggdrasil Decision Forests (treeModel.ts). Writes the
 * Model artifact: model/, transform.json, signature.json, history.json.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Trainer } from '../../core/components/modelComponents';
import type { ComponentContext, ComponentExecutor } from '../component';
import { readJson } from '../model/files';
import { applyHyperparameters, readBestHyperparameters, hyperparametersFromParams } from '../model/hyperparameters';
import { rawInputs, writeModelArtifact, writeTreeArtifact } from '../model/modelArtifact';
import type { ModelSignature } from '../model/servingModel';
import { chooseModel, disposeChosen, withoutTreesFor } from '../model/chooseModel';
import { prepareData } from '../model/trainModel';
import { isTreeFamily, saveTrees } from '../model/treeModel';
import { loadUserModel } from '../model/userModel';
import { loadTf } from '../tf/loadTf';
import type { TransformSpec } from '../transform/transformSpec';

export type TrainerParams = z.output<typeof Trainer.params>;

export function readTransformSpec(uri: string): Promise<TransformSpec> {
  return readJson<TransformSpec>(path.join(uri, 'transform.json'), 'transform.json of the transform_graph input');
}

/**
 * YDF's C++ log lines, for the stage log: its per-tree lines are many, so only the stage lines and
 * every tenth "Training of tree" progress line pass, as info.
 */
function treeLogger(ctx: ComponentContext<TrainerParams>): (line: string) => void {
  let trees = 0;
  return (line) => {
    const text = line.replace(/^[IWE]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] /, '').trim();
    if (!text || text.startsWith('WARNING: All log messages before absl')) return;
    if (/^Training of tree|^\d+ examples scanned|row\(s\) processed|^Stop scanning/.test(text) && trees++ % 10 !== 0) return;
    ctx.log('info', `YDF: ${text}`);
  };
}

export const trainer: ComponentExecutor<TrainerParams> = {
  name: 'Trainer',
  async run(ctx: ComponentContext<TrainerParams>): Promise<void> {
    const p = ctx.params;
    const examples = ctx.inputs.examples;
    const graph = ctx.inputs.transform_graph;
    if (!examples || !graph) throw new Error('Trainer needs its examples and transform_graph inputs');
    const spec = await readTransformSpec(graph.uri);
    const tuned = await readBestHyperparameters(ctx.inputs.hyperparameters);
    const base = hyperparametersFromParams(p);
    const hp = tuned ? applyHyperparameters(base, tuned, 'best_hyperparameters.json') : base;
    if (tuned) ctx.log('info', `hyperparameters from the Tuner: ${JSON.stringify(tuned)}`);
    const userModule = p.module ? await loadUserModel(ctx.resolvePath(p.module, 'module')) : undefined;

    const loaded = await loadTf();
    ctx.log('info', `TensorFlow.js backend: ${loaded.label}`);
    if (loaded.warning) ctx.log('warn', loaded.warning);
    const data = await prepareData(loaded, spec, examples.uri, {
      task: p.task,
      trainSplit: p.train_split,
      evalSplit: p.eval_split,
      batchSize: hp.batch_size,
      scaleRegressionLabel: !userModule,
      seed: p.seed,
    });
    ctx.log(
      'info',
      `${data.task} on '${spec.label.name}'${data.classes ? ` (${data.classes.length} classes)` : ''}, ${spec.width} inputs: ${data.train.n + data.validation.n} ${p.train_split} examples (${data.train.n} to fit, ${data.validation.n} carved out for validation), ${data.eval.n} ${p.eval_split} examples; ${userModule ? `model from ${path.basename(userModule.file)}` : `${hp.model}${hp.model === 'linear' || isTreeFamily(hp.model) ? '' : ` ${JSON.stringify(hp.hidden_units)}`}`}`, // a forest has no hidden layers
    );

    const chosen = await chooseModel(
      loaded,
      spec,
      data,
      {
        hp,
        seed: p.seed,
        earlyStopping: p.early_stopping,
        signal: ctx.signal,
        userModule,
        ...withoutTreesFor(ctx.forestRefusers),
        onEpoch: (epoch, values) => {
          ctx.metrics({ scope: 'epoch', epoch, values });
          ctx.progress(epoch / hp.epochs, `epoch ${epoch}/${hp.epochs}`);
        },
        onBatch: (epoch, batch, values) => ctx.metrics({ scope: 'batch', epoch, batch, values }),
      },
      (m) => ctx.log('info', m),
      treeLogger(ctx),
    );
    const { scores, family, labelTransform, choice } = chosen;
    try {
      const fit = chosen.runtime === 'tfjs' ? chosen.fit : undefined;
      const best: Record<string, number> = { ...fit?.best, ...scores };
      if (choice) {
        const runnerUp = Object.entries(choice.candidates).filter(([k]) => k !== choice.chosen).sort((a, b) => a[1] - b[1])[0];
        ctx.log(
          'info',
          `model choice: ${choice.chosen} (validation loss ${Object.entries(choice.candidates).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}; a more complex model wins only by more than 2 standard errors)${runnerUp ? `: ${choice.margin >= 0 ? `${choice.margin.toFixed(4)} (${(100 * choice.relativeMargin).toFixed(1)}%) below` : `${(-choice.margin).toFixed(4)} above, not significantly,`} ${runnerUp[0]}` : ''}`,
        );
      }
      const metricsText = Object.entries(best)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ');
      if (fit) ctx.log('info', `trained ${fit.history.length} epochs${fit.stoppedEarly ? ' (stopped early)' : ''}; kept epoch ${fit.bestEpoch}: ${metricsText}`);
      else if (chosen.runtime === 'ydf') ctx.log('info', `trained ${family} (Yggdrasil Decision Forests, its default hyperparameters): ${chosen.trees.info.numTrees ?? '?'} trees; ${metricsText}`);
      const signature: ModelSignature = {
        task: data.task,
        label: spec.label.name,
        ...(data.classes ? { classes: data.classes } : {}),
        inputs: rawInputs(spec),
        backend: chosen.runtime === 'ydf' ? 'ydf (wasm)' : loaded.backend,
        ...(chosen.runtime === 'ydf' ? { modelFormat: 'ydf' as const } : {}),
        hyperparameters: { ...hp, ...(userModule ? {} : { model: family }), task: data.task },
        ...(labelTransform === 'log' ? { labelTransform } : {}),
        ...(choice ? { modelChoice: choice } : {}),
        inputWidth: spec.width,
        ...(userModule ? { module: path.basename(userModule.file) } : {}),
        training: fit
          ? { epochs: fit.history.length, bestEpoch: fit.bestEpoch, stoppedEarly: fit.stoppedEarly, seed: p.seed, metrics: best }
          : { epochs: 0, bestEpoch: 0, stoppedEarly: false, seed: p.seed, metrics: best },
      };
      const out = ctx.outputs.model as string;
      if (chosen.runtime === 'tfjs') await writeModelArtifact(loaded.tf, out, chosen.model, spec, signature, chosen.fit.history);
      else {
        await saveTrees(chosen.trees, out);
        await writeTreeArtifact(out, spec, signature);
      }
      ctx.setProperties('model', {
        task: data.task,
        backend: signature.backend,
        epochs: fit?.history.length ?? 0,
        bestEpoch: fit?.bestEpoch ?? 0,
        ...(chosen.runtime === 'ydf' ? { trees: chosen.trees.info.numTrees ?? 0 } : {}),
        ...(userModule ? {} : { model: family }),
        ...(choice ? { modelChoice: choice.chosen, modelChoiceMargin: Number(choice.margin.toFixed(6)), modelChoiceRelativeMargin: Number(choice.relativeMargin.toFixed(4)), modelCandidates: JSON.stringify(choice.candidates) } : {}),
        ...(labelTransform === 'log' ? { labelTransform } : {}),
        ...Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Number(v.toFixed(6))])),
      });
    } finally {
      disposeChosen(chosen);
    }
  },
  async externalFingerprint(params, resolvePath): Promise<string> {
    if (!params.module) return '';
    const file = resolvePath(params.module, 'module');
    try {
      return createHash('sha256').update(await fs.readFile(file)).digest('hex');
    } catch {
      return 'missing';
    }
  },
};
