/**
 * `pipewise model alias BASE VERSION NAME` (set or move), `pipewise model alias BASE NAME --remove`,
 * `pipewise model aliases BASE [--json]` (the aliases and their history): the model registry's
 * aliases on a Pusher destination (src/engine/serving/aliases.ts). A running `pipewise serve` on
 * BASE follows every change within a second, without a restart.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { changeAlias, readAliases, type AliasChange } from '../engine/serving/aliases';
import { parseCommandFlags } from './commandFlags';

export const MODEL_USAGE = `pipewise model alias BASE VERSION NAME    set NAME on a pushed version, or move it there
pipewise model alias BASE [VERSION] NAME --remove
                                           remove an alias (from VERSION only, when given)
pipewise model aliases BASE [--json]       the aliases and their history (who, when, from which version)`;

function usage(why: string): PipewiseError {
  return new PipewiseError(`pipewise model: ${why}\n${MODEL_USAGE}`, { code: 'usage' });
}

function baseOf(text: string): string {
  const base = path.resolve(text);
  if (!existsSync(base) || !statSync(base).isDirectory()) throw new PipewiseError(`no such model base path (a Pusher destination folder): ${base}`, { code: 'usage' });
  return base;
}

/** One line of history: "2026-12-06T19:40:00.000Z  ana  champion  moved 2 → 3". */
export function describeChange(c: AliasChange): string {
  const what = c.version === null ? `removed (was ${c.previous})` : c.previous === null ? `set to ${c.version}` : `moved ${c.previous} → ${c.version}`;
  return `${c.at}  ${c.user}  ${c.alias}  ${what}`;
}

export async function modelCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'alias') {
    const flags = parseCommandFlags('model alias', rest, [], ['--remove']);
    const remove = flags.values.has('--remove');
    const p = flags.positionals;
    if (remove ? p.length !== 2 && p.length !== 3 : p.length !== 3) throw usage(remove ? `alias --remove takes BASE [VERSION] NAME, got ${p.length} argument${p.length === 1 ? '' : 's'}` : `alias takes BASE VERSION NAME, got ${p.length} argument${p.length === 1 ? '' : 's'}`);
    const base = baseOf(p[0] as string);
    const name = p[p.length - 1] as string;
    let named: number | undefined;
    if (p.length === 3) {
      const text = p[1] as string;
      if (!/^\d+$/.test(text)) throw usage(`VERSION must be a version number (a folder of ${base}), got ${JSON.stringify(text)}`);
      named = Number(text);
    }
    const before = (await readAliases(base)).aliases[name];
    // `--remove` with a VERSION removes the alias only from that version (a guard against removing it after someone moved it).
    if (remove && named !== undefined && before !== undefined && before !== named) throw usage(`${name} names version ${before}, not ${named}: nothing removed`);
    const version = remove ? null : (named as number);
    await changeAlias(base, name, version);
    if (version === null) process.stdout.write(`${name} removed (it named version ${before})\n`);
    else if (before === version) process.stdout.write(`${name} already names version ${version}\n`);
    else process.stdout.write(`${name} → version ${version}${before !== undefined ? ` (was ${before})` : ''}\n`);
    return 0;
  }
  if (sub === 'aliases') {
    const flags = parseCommandFlags('model aliases', rest, [], ['--json']);
    if (flags.positionals.length !== 1) throw usage(`aliases takes BASE, got ${flags.positionals.length} arguments`);
    const a = await readAliases(baseOf(flags.positionals[0] as string));
    if (flags.values.has('--json')) {
      process.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
      return 0;
    }
    const names = Object.keys(a.aliases).sort();
    const width = Math.max(0, ...names.map((n) => n.length));
    if (!names.length) process.stdout.write('no aliases\n');
    for (const n of names) process.stdout.write(`${n.padEnd(width)}  version ${a.aliases[n]}\n`);
    if (a.history.length) {
      process.stdout.write('\nhistory (oldest first):\n');
      for (const c of a.history) process.stdout.write(`  ${describeChange(c)}\n`);
    }
    return 0;
  }
  throw usage(sub === undefined ? 'missing a subcommand' : `unknown subcommand '${sub}'`);
}
