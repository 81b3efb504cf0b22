/**
 * Flags of the production commands (`serve`, `monitor`), parsed apart from the pipeline commands'
 * grammar in args.ts: each command names its flags, and every mistake is one usage line (exit 2).
 */
import { PipewiseError } from '../core/errors';

export interface CommandFlags {
  readonly positionals: string[];
  /** Flag → its values (repeatable flags keep every one; booleans get ''). */
  readonly values: Map<string, string[]>;
}

export function parseCommandFlags(command: string, argv: readonly string[], withValue: readonly string[], booleans: readonly string[]): CommandFlags {
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (withValue.includes(flag)) {
      const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (value.startsWith('--') && eq < 0)) throw new PipewiseError(`pipewise ${command}: ${flag} needs a value`, { code: 'usage' });
      values.set(flag, [...(values.get(flag) ?? []), value]);
    } else if (booleans.includes(raw)) {
      values.set(raw, ['']);
    } else if (raw.startsWith('-') && raw !== '-') {
      throw new PipewiseError(`pipewise ${command}: unknown option ${raw} (options: ${[...withValue, ...booleans].join(', ')})`, { code: 'usage' });
    } else positionals.push(raw);
  }
  return { positionals, values };
}

/** The last value of a flag. */
export function flagValue(flags: CommandFlags, flag: string): string | undefined {
  return flags.values.get(flag)?.at(-1);
}

/** A number flag within [min, max], integer when asked. */
export function numberFlag(command: string, flags: CommandFlags, flag: string, min: number, max: number, integer: boolean): number | undefined {
  const text = flagValue(flags, flag);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new PipewiseError(`pipewise ${command}: ${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(text)}`, { code: 'usage' });
  }
  return n;
}
