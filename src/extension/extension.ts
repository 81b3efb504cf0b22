import * as vscode from 'vscode';
import path from 'node:path';
import { errorDetail, errorMessage } from '../core/errors';
import { CommandStubs, manifestCommandIds } from './commandStubs';
import type { PipewiseApi, PipewiseContext } from './context';
import type * as Features from './features';

/**
 * The extension's entry, a bundle of a few kilobytes: VS Code's activation waits only for this file
 * and `activate`, which creates the log and registers every manifest command as a stub
 * (src/extension/commandStubs.ts). The features — zod schemas, yaml, the worker port, every view,
 * panel and provider — are their own bundle (out/features.js, built from src/extension/features.ts),
 * required on the next turn of the event loop, after `activate` returned: requiring and evaluating it
 * is most of what activation used to cost (see bench/README.md, "Activation"). The modules of the
 * features used less often are evaluated later still, when first used (src/extension/featureLoader.ts).
 * Nothing else may import features.ts at run time: the two bundles
 * would each hold a copy of every shared module.
 */

/** The loaded features bundle, for `deactivate`. */
let features: typeof Features | undefined;

export function activate(context: vscode.ExtensionContext): PipewiseApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Pipewise', { log: true });
  context.subscriptions.push(log);
  const stubs = new CommandStubs(manifestCommandIds(context.extension.packageJSON));
  context.subscriptions.push(stubs);
  let loaded: PipewiseContext | undefined;
  const ready: Promise<PipewiseContext> = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => (loaded = await loadFeatures(context, log, stubs)));
  // Reported in loadFeatures; whoever awaits `ready` sees the failure too.
  ready.catch(() => undefined);
  // The activation bench reads this line: VS Code's activation is over, the commands are there.
  log.info(`Pipewise activated in ${ms(performance.now() - started)}`);
  return {
    extension: context,
    log,
    get worker() {
      if (!loaded) throw new Error("Pipewise's features are not loaded yet: await the API's `ready`");
      return loaded.worker;
    },
    ready,
  };
}

/**
 * Requires and builds the features; the browser tests wait for its `Pipewise features loaded` line.
 * A failure is logged and shown, every command stub then fails with it, and the line never comes.
 */
async function loadFeatures(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, stubs: CommandStubs): Promise<PipewiseContext> {
  const started = performance.now();
  try {
    // Beside this bundle in out/ (development and VSIX alike); not bundled into it (see above).
    features = require(path.join(__dirname, 'features.js')) as typeof Features;
    const required = performance.now();
    const ctx = features.activateFeatures(context, log, stubs);
    stubs.settle();
    log.info(`Pipewise features loaded in ${ms(performance.now() - started)} (require ${ms(required - started)}, build ${ms(performance.now() - required)})`);
    return ctx;
  } catch (e) {
    stubs.settle(e);
    log.error(`Pipewise failed to start: ${errorDetail(e)}`);
    void vscode.window.showErrorMessage(`Pipewise failed to start: ${errorMessage(e)}`);
    throw e;
  }
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** Stops the local model servers started from the Models view (SIGTERM, and SIGKILL after 10 s). */
export function deactivate(): Promise<void> {
  return features?.deactivateFeatures() ?? Promise.resolve();
}
