/**
 * `pipewise serve BASE [--model-name NAME] [--port 8501] [--host 127.0.0.1] [--log-dir DIR]
 * [--log-sample FRACTION] [--max-versions N] [--label NAME=VERSION…] [--max-instances N]
 * [--max-body-bytes N] [--log-rotate-rows N] [--split TARGET=PCT,…]`: TensorFlow Serving's REST
 * API over a Pusher destination (src/engine/serving). Runs until SIGINT/SIGTERM, then lets the
 * requests in flight finish, writes the rest of the request log and exits 0. A --log-dir that
 * cannot be written stops it at start (exit 2), naming the folder.
 *
 * The registry's aliases (BASE/aliases.json, `pipewise model alias`) are followed live as version
 * labels, and `champion` answers requests that name no version; `--split champion=90,challenger=10`
 * shares those requests between aliases or versions by request id (src/engine/serving/canary.ts).
 */
import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { errorMessage } from '../protocol/errors';
import { checkPrediction } from '../engine/components/infraValidator';
import { loadServingModel } from '../engine/model/servingModel';
import type { ServingModel } from '../engine/model/servingModel';
import { RequestLog } from '../engine/serving/requestLog';
import { startModelServer } from '../engine/serving/server';
import { ModelVersions } from '../engine/serving/versions';
import { aliasesFile, LiveAliases, type ModelAliases } from '../engine/serving/aliases';
import { formatSplit, parseSplit, type SplitShare } from '../engine/serving/canary';
import { flagValue, numberFlag, parseCommandFlags } from './commandFlags';

/**
 * A version takes traffic only once it answers a canary: every feature missing (the transform
 * imputes), or for an imported ONNX model, which reads raw values and imputes nothing, zeros and
 * empty strings.
 */
export async function warmUp(model: ServingModel): Promise<void> {
  const onnx = model.signature.modelFormat === 'onnx';
  const row = Object.fromEntries(model.signature.inputs.map((i) => [i.name, onnx ? (i.type === 'number' ? 0 : '') : null]));
  const [p] = await model.predict([row]);
  const problem = checkPrediction(model.signature, p);
  if (problem) throw new Error(`the warm-up request failed: ${problem}`);
}

/** Makes `dir` if need be and writes (then removes) a file in it; the error names the folder. */
async function checkWritableFolder(dir: string): Promise<void> {
  const probe = path.join(dir, `.pipewise-serve-${process.pid}.probe`);
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(probe, '');
    await fs.rm(probe);
  } catch (e) {
    throw new PipewiseError(`--log-dir ${dir} cannot be written (${errorMessage(e)}): nothing could be logged, so the server does not start`, { file: dir, code: 'usage' });
  }
}

export async function serveCommand(argv: readonly string[]): Promise<number> {
  const flags = parseCommandFlags('serve', argv, ['--model-name', '--port', '--host', '--log-dir', '--log-sample', '--max-versions', '--label', '--poll-ms', '--max-instances', '--max-body-bytes', '--log-rotate-rows', '--split'], []);
  if (flags.positionals.length !== 1) throw new PipewiseError(`pipewise serve: ${flags.positionals.length ? `unexpected argument '${flags.positionals[1]}'` : 'missing BASE (a Pusher destination)'}`, { code: 'usage' });
  const base = path.resolve(flags.positionals[0] as string);
  if (!existsSync(base) || !statSync(base).isDirectory()) throw new PipewiseError(`no such model base path (a Pusher destination folder): ${base}`, { code: 'usage' });
  const name = flagValue(flags, '--model-name') ?? path.basename(base);
  const port = numberFlag('serve', flags, '--port', 0, 65535, true) ?? 8501;
  const host = flagValue(flags, '--host') ?? '127.0.0.1';
  const sample = numberFlag('serve', flags, '--log-sample', 0, 1, false) ?? 1;
  const maxVersions = numberFlag('serve', flags, '--max-versions', 1, 100, true) ?? 1;
  const pollMs = numberFlag('serve', flags, '--poll-ms', 50, 2000, true) ?? 1000;
  const maxRows = numberFlag('serve', flags, '--max-instances', 1, 1_000_000, true) ?? 10_000;
  const maxBodyBytes = numberFlag('serve', flags, '--max-body-bytes', 1024, 1024 ** 3, true) ?? 8 * 1024 * 1024;
  const rotateRows = numberFlag('serve', flags, '--log-rotate-rows', 1, 10_000_000, true) ?? 50_000;
  const logDir = flagValue(flags, '--log-dir');
  const labels: Record<string, number> = {};
  for (const l of flags.values.get('--label') ?? []) {
    const m = /^([A-Za-z0-9_.-]+)=(\d+)$/.exec(l);
    if (!m) throw new PipewiseError(`pipewise serve: --label takes NAME=VERSION, got ${JSON.stringify(l)}`, { code: 'usage' });
    labels[m[1] as string] = Number(m[2]);
  }
  let split: SplitShare[] | undefined;
  const splitText = flagValue(flags, '--split');
  if (splitText !== undefined) {
    try {
      split = parseSplit(splitText);
    } catch (e) {
      throw new PipewiseError(`pipewise serve: ${errorMessage(e)}`, { code: 'usage' });
    }
  }

  const say = (line: string): void => void process.stderr.write(`pipewise serve: ${line}\n`);
  const describeAliases = (a: ModelAliases): string => Object.entries(a.aliases).map(([k, v]) => `${k} → version ${v}`).join(', ') || 'none';
  let following = false;
  const aliases = new LiveAliases(base, {
    onChange: (a) => {
      if (!following) return;
      say(`aliases now: ${describeAliases(a)}`);
      void versions.aliasesChanged();
    },
    onError: (e) => say(`${e.message}; the aliases as last read go on answering`),
  });
  // A damaged alias file stops the server here, naming the file: serving another version than the champion unawares is worse.
  await aliases.start();
  if (split) {
    for (const s of split) {
      if (typeof s.target === 'number' && !existsSync(path.join(base, String(s.target)))) throw new PipewiseError(`pipewise serve: --split names version ${s.target}, which ${base} does not have`, { code: 'usage' });
      if (typeof s.target === 'string' && aliases.aliases[s.target] === undefined && labels[s.target] === undefined) {
        aliases.close();
        throw new PipewiseError(`pipewise serve: --split names alias '${s.target}', which ${aliasesFile(base)} does not define (set it: pipewise model alias ${base} VERSION ${s.target})`, { code: 'usage' });
      }
    }
  }
  // A log that cannot be written fails here, before anything is served: a server whose --log-dir
  // silently logs nothing would leave monitoring blind.
  if (logDir) await checkWritableFolder(path.resolve(logDir));
  let log: RequestLog | undefined;
  let fatal: ((e: Error) => void) | undefined;
  const failedLog = new Promise<Error>((resolve) => (fatal = resolve));
  const versions = new ModelVersions({
    name,
    base,
    load: loadServingModel,
    warmUp: async (model) => {
      await warmUp(model);
      // The log's columns follow the first version that serves; it is open before that version takes traffic.
      if (logDir && !log) {
        try {
          log = await RequestLog.open({ dir: path.resolve(logDir), model: name, signature: model.signature, sample, rotateRows, onError: (err) => say(`request log: ${err.message}`) });
        } catch (e) {
          fatal?.(new PipewiseError(`the request log cannot be opened in ${path.resolve(logDir)}: ${errorMessage(e)}`, { file: path.resolve(logDir) }));
          throw e;
        }
        say(`logging ${sample === 1 ? 'every request' : `${sample * 100}% of requests`} to ${path.resolve(logDir)}`);
      }
    },
    pollMs,
    maxVersions,
    labels,
    aliases: () => aliases.aliases,
    ...(split ? { split } : {}),
    onEvent: (e) => say(`version ${e.version} ${e.state}${e.error ? `: ${e.error}` : ''}`),
  });
  // Listen first: while the first version loads, the status answers LOADING.
  const server = await startModelServer({ name, source: versions, port, host, maxRows, maxBodyBytes, onServed: (r) => log?.record(r) });
  say(`model '${name}' from ${base} on ${server.url} (REST: ${server.url}/v1/models/${encodeURIComponent(name)})`);
  process.stdout.write(`${server.url}\n`);
  if (Object.keys(aliases.aliases).length) say(`aliases: ${describeAliases({ aliases: aliases.aliases, history: [] })} (followed live in ${aliasesFile(base)})`);
  if (split) say(`canary split of requests that name no version: ${formatSplit(split)} (by X-Request-Id; X-Model-Version names the version that answered)`);
  await versions.start();
  following = true;

  const failure = await Promise.race([
    failedLog,
    new Promise<undefined>((resolve) => {
      const stop = (sig: NodeJS.Signals): void => {
        say(`${sig}: finishing the requests in flight`);
        resolve(undefined);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }),
  ]);
  aliases.close();
  await server.close();
  await log?.close();
  if (failure) throw failure;
  say('stopped');
  return 0;
}
