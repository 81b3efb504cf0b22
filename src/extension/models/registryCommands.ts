/**
 * The model registry in the Models view: *Promote to Champion* on a version and *Roll Back* on the
 * champion, one click each (they move the `champion` alias in BASE/aliases.json, as
 * `pipewise model alias` does, and a running server follows within a second), and *Start Canary
 * Server…*, a `pipewise-serve` task with a traffic split.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PipewiseContext } from '../context';
import type { ModelTarget, ModelVersionTarget } from '../commands';
import { Feature } from '../feature';
import { changeAlias, DEFAULT_ALIAS, previousVersion, readAliases } from '../../engine/serving/aliases';
import { parseSplit } from '../../engine/serving/canary';
import { errorMessage } from '../../core/errors';
import type { ServerInfo } from '../../protocol/models';
import type { ModelServers } from './modelServers';
import { modelOfArg, type ModelsView } from './modelsView';
import type { PushedModel } from './pushedModels';

export interface RegistryDeps {
  readonly view: ModelsView;
  readonly servers: ModelServers;
  /** The model an argument names, else the only one, else the user picks (undefined: none). */
  readonly modelOf: (arg: unknown, title: string, filter?: (m: PushedModel) => boolean) => Promise<PushedModel | undefined>;
  /** Starts the model's server as a task (trust permitting). */
  readonly start: (m: PushedModel, port?: number, split?: string) => Promise<ServerInfo | undefined>;
}

/** A canary to offer first: champion and challenger where both exist, else the champion (or the previous version) and the newest. */
export function suggestedSplit(m: PushedModel): string {
  const { aliases } = m.aliases;
  if (aliases.champion !== undefined && aliases.challenger !== undefined) return 'champion=90,challenger=10';
  const newest = m.versions[0]?.version;
  if (aliases.champion !== undefined && newest !== undefined && newest !== aliases.champion) return `champion=90,${newest}=10`;
  const previous = m.versions[1]?.version;
  return previous !== undefined && newest !== undefined ? `${previous}=90,${newest}=10` : 'champion=90,challenger=10';
}

/** The registry's commands, owned by this feature (the Models feature owns it in turn). */
export class RegistryCommandsFeature extends Feature {
  constructor(ctx: PipewiseContext, deps: RegistryDeps) {
    super(ctx);
    const { view, servers, modelOf, start } = deps;

    /** The model and version a command argument names; else the user picks both. */
    const versionOf = async (arg: ModelVersionTarget): Promise<{ model: PushedModel; version: number } | undefined> => {
      if (arg) {
        const known = await view.load();
        // By base path: the item may be from an earlier load of the view (its aliases are read afresh below).
        const model = modelOfArg('model' in arg ? arg.model.base : arg.base, known);
        const version = 'model' in arg ? arg.version.version : arg.version;
        if (!model) throw new Error(`no pushed model at ${'model' in arg ? arg.model.base : arg.base}`);
        return { model, version };
      }
      const model = await modelOf(undefined, 'Promote a version of which model?', (m) => m.versions.length > 0);
      if (!model) return undefined;
      const champion = model.aliases.aliases[DEFAULT_ALIAS];
      const pick = await vscode.window.showQuickPick(
        model.versions.filter((v) => v.version !== champion).map((v) => ({ label: `v${v.version}`, description: v.pushedAt ? `pushed ${new Date(v.pushedAt).toLocaleString()}` : '', version: v.version })),
        { title: `Promote which version of ${model.label} to champion?` },
      );
      return pick ? { model, version: pick.version } : undefined;
    };

    const moved = (m: PushedModel, version: number, before: number | undefined): void => {
      view.refresh();
      const serving = servers.get(m.base) ? ' Its server answers with it within a second.' : '';
      void vscode.window.showInformationMessage(`${m.label}: champion → v${version}${before !== undefined ? ` (was v${before})` : ''}.${serving}`);
    };

    this.command('pipewise.promoteToChampion', async (arg) => {
      const target = await versionOf(arg);
      if (!target) return undefined;
      const { model, version } = target;
      if (!model.versions.some((v) => v.version === version)) throw new Error(`${model.label} has no version ${version} in ${model.base}`);
      const before = (await readAliases(model.base)).aliases[DEFAULT_ALIAS];
      await changeAlias(model.base, DEFAULT_ALIAS, version);
      moved(model, version, before);
      return version;
    });

    this.command('pipewise.rollBackChampion', async (arg) => {
      const known = await view.load();
      const base = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? ('base' in arg ? arg.base : arg.model?.base) : undefined;
      const given = base !== undefined ? modelOfArg(base, known) : undefined;
      const model = given ?? (await modelOf(arg, 'Roll back the champion of which model?', (m) => previousVersion(m.aliases, DEFAULT_ALIAS) !== undefined));
      if (!model) return undefined;
      const aliases = await readAliases(model.base);
      const previous = previousVersion(aliases, DEFAULT_ALIAS);
      if (previous === undefined) {
        void vscode.window.showInformationMessage(`${model.label} has no earlier champion to roll back to (its alias history has none).`);
        return undefined;
      }
      if (!existsSync(path.join(model.base, String(previous)))) throw new Error(`the previous champion of ${model.label}, version ${previous}, is no longer in ${model.base}`);
      await changeAlias(model.base, DEFAULT_ALIAS, previous);
      moved(model, previous, aliases.aliases[DEFAULT_ALIAS]);
      return previous;
    });

    this.command('pipewise.startCanaryServer', async (arg, options) => {
      const model = await modelOf(arg, 'Start a canary server for which model?', (m) => m.versions.length > 1 && !servers.get(m.base));
      if (!model) return undefined;
      if (servers.get(model.base)) throw new Error(`a server already serves ${model.label}: stop it first, then start the canary`);
      const split =
        options?.split ??
        (await vscode.window.showInputBox({
          title: `Canary traffic for ${model.label}`,
          prompt: 'TARGET=PERCENT,… — aliases or version numbers; the percents add up to 100. Requests naming no version are shared by their X-Request-Id.',
          value: suggestedSplit(model),
          validateInput: (text) => {
            try {
              parseSplit(text);
              return undefined;
            } catch (e) {
              return errorMessage(e);
            }
          },
        }));
      if (!split) return undefined;
      parseSplit(split);
      return start(model, options?.port, split);
    });
  }
}
