/**
 * Pusher: copies a blessed model to `destination/<version>/`, as TFX does for TF Serving's model
 * base path. The version is the push time in seconds (TFX's choice), raised past every version
 * already there, so a push never overwrites one. The copy lands in a hidden temporary folder inside
 * the destination and is renamed into place, so a server watching the destination never sees a
 * half-copied version. A model that is not blessed (by the Evaluator, and by the InfraValidator when
 * given) is not pushed: the stage succeeds and says why in `pushed.json`.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Pusher } from '../../core/components/modelComponents';
import { PipewiseError } from '../../core/errors';
import type { ComponentContext, ComponentExecutor } from '../component';
import { writeFileAtomic } from '../store';
import { QUANTIZATION_FILE } from '../evaluation/quantized';
import { quantizeModelArtifact, type QuantizedSize } from '../model/quantizeModel';
import { exampleRowOf, writeWebFolder } from './pusherWeb';
import { modelVersions } from '../serving/modelVersions';

export type PusherParams = z.output<typeof Pusher.params>;

/** pushed.json of the PushedModel artifact. */
export interface PushedFile {
  readonly pushed: boolean;
  readonly reason?: string;
  readonly destination: string;
  readonly version?: number;
  /** Absolute path of the pushed copy. */
  readonly uri?: string;
  /** The model artifact that was (or was not) pushed. */
  readonly model: string;
  /** `web`: a folder that predicts in the browser; absent for the server layout. */
  readonly target?: 'server' | 'web';
  /** The weights' quantization and their size before and after. */
  readonly quantized?: QuantizedSize;
}

/** Why a quantized push is refused: the Evaluator did not measure this quantization, or it failed. */
async function quantizationRefusal(blessingUri: string, stage: string, dtype: string): Promise<string | undefined> {
  const file = path.join(blessingUri, QUANTIZATION_FILE);
  let q: { dtype?: string; blessed?: boolean };
  try {
    q = JSON.parse(await fs.readFile(file, 'utf8')) as typeof q;
  } catch {
    return `quantize: ${dtype} needs the model measured quantized: give ${stage} (the Evaluator) \`quantize: ${dtype}\` too`;
  }
  if (q.dtype !== dtype) return `quantize: ${dtype}, but ${stage} measured the model quantized to ${q.dtype ?? 'nothing'} (${file})`;
  if (q.blessed !== true) return `the ${dtype}-quantized model is not blessed by ${stage} (see its metrics.json)`;
  return undefined;
}

/** Copies `source` to `destination/<version>/` atomically and returns the version; never overwrites. */
export async function pushVersion(source: string, destination: string, now: number = Date.now()): Promise<{ version: number; uri: string }> {
  await fs.mkdir(destination, { recursive: true });
  const tmp = path.join(destination, `.pipewise-push-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.cp(source, tmp, { recursive: true, errorOnExist: true, force: false });
    let version = Math.max(Math.floor(now / 1000), ...(await modelVersions(destination)).map((v) => v + 1));
    for (;;) {
      const target = path.join(destination, String(version));
      // rename() would silently replace an empty folder, so look first; a non-empty one makes it fail.
      if (!existsSync(target)) {
        try {
          await fs.rename(tmp, target);
          return { version, uri: target };
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        }
      }
      version++;
    }
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Whether a blessing artifact folder holds the positive verdict file. */
function hasFile(dir: string, name: string): boolean {
  return existsSync(path.join(dir, name));
}

export const pusher: ComponentExecutor<PusherParams> = {
  name: 'Pusher',
  async run(ctx: ComponentContext<PusherParams>): Promise<void> {
    const model = ctx.inputs.model;
    const blessing = ctx.inputs.blessing;
    if (!model || !blessing) throw new PipewiseError('Pusher needs its model and blessing inputs');
    const destination = ctx.resolvePath(ctx.params.destination, 'destination');
    const outDir = ctx.outputs.pushed_model as string;

    let reason: string | undefined;
    if (!hasFile(blessing.uri, 'BLESSED')) {
      reason = hasFile(blessing.uri, 'NOT_BLESSED')
        ? `the model is NOT_BLESSED by ${blessing.stage} (see its metrics.json)`
        : `the blessing ${blessing.uri} holds neither BLESSED nor NOT_BLESSED`;
    }
    const infra = ctx.inputs.infra_blessing;
    if (!reason && infra && !hasFile(infra.uri, 'INFRA_BLESSED')) reason = `the model is INFRA_NOT_BLESSED by ${infra.stage} (see its validation.json)`;

    const { quantize } = ctx.params;
    if (!reason && quantize) reason = await quantizationRefusal(blessing.uri, blessing.stage, quantize);

    let file: PushedFile;
    if (reason) {
      file = { pushed: false, reason, destination, model: model.uri };
      ctx.log('warn', `not pushed: ${reason}`);
    } else {
      const target = ctx.params.target ?? 'server';
      const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-push-'));
      try {
        let source = model.uri;
        let quantized: QuantizedSize | undefined;
        if (target === 'web') {
          source = path.join(staging, 'web');
          const example = await exampleRowOf(model, ctx.storeDir, ctx.signal);
          if (!example) ctx.log('warn', 'no example row found upstream of the model (no ExampleGen in its lineage): the web form starts from training means');
          ({ quantized } = await writeWebFolder(model.uri, source, { quantize, tfjs: ctx.params.tfjs ?? 'bundled', ...(example ? { example } : {}) }));
        } else if (quantize) {
          source = path.join(staging, 'model');
          quantized = await quantizeModelArtifact(model.uri, source, quantize);
        }
        const { version, uri } = await pushVersion(source, destination);
        file = { pushed: true, destination, version, uri, model: model.uri, target, ...(quantized ? { quantized } : {}) };
        ctx.log('info', `pushed version ${version} to ${uri}${target === 'web' ? ' (web: open index.html through a local server, e.g. `pipewise serve-web`)' : ''}`);
        if (quantized) ctx.log('info', `weights quantized to ${quantized.dtype}: ${quantized.bytesBefore} → ${quantized.bytesAfter} bytes`);
      } finally {
        await fs.rm(staging, { recursive: true, force: true });
      }
    }
    await writeFileAtomic(path.join(outDir, 'pushed.json'), JSON.stringify(file, null, 1));
    ctx.setProperties('pushed_model', {
      pushed: file.pushed,
      ...(file.version !== undefined ? { version: file.version, pushed_uri: file.uri } : { reason: file.reason }),
      ...(file.target === 'web' ? { target: 'web' } : {}),
      ...(file.quantized ? { quantize: file.quantized.dtype, weight_bytes_before: file.quantized.bytesBefore, weight_bytes_after: file.quantized.bytesAfter } : {}),
    });
  },
};
