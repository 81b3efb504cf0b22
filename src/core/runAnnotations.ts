/**
 * What a person says about a run: a name, a note, a star. Kept beside the run record, in
 * `<store>/metadata/annotations/<runId>.json`, not inside it: the run record is rewritten by the
 * process running it, and a rename made meanwhile must not be lost to that process's next write.
 * Pure parsing here, so the engine (which writes) and the extension (which reads) agree.
 */
import { PipewiseError } from './errors';

export interface RunAnnotations {
  readonly name?: string;
  readonly note?: string;
  readonly starred?: boolean;
}

/** A name longer than this is not a name; a note longer than this belongs in a file. */
export const MAX_RUN_NAME = 200;
export const MAX_RUN_NOTE = 10_000;

/** Checks a parsed annotations file; the error names the file and the bad field's value. */
export function parseRunAnnotations(value: unknown, file: string): RunAnnotations {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PipewiseError(`the run's annotations are not an object: ${JSON.stringify(value)}`, { file });
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'name' && key !== 'note' && key !== 'starred') throw new PipewiseError(`the run's annotations have an unknown field ${JSON.stringify(key)} (expected name, note, starred)`, { file });
  }
  const text = (key: 'name' | 'note', max: number): string | undefined => {
    const x = v[key];
    if (x === undefined) return undefined;
    if (typeof x !== 'string' || x.length > max) throw new PipewiseError(`the run's ${key} must be text of at most ${max} characters, not ${JSON.stringify(x).slice(0, 80)}`, { file });
    return x;
  };
  const name = text('name', MAX_RUN_NAME);
  const note = text('note', MAX_RUN_NOTE);
  if (name !== undefined && /[\r\n]/.test(name)) throw new PipewiseError(`the run's name must be one line, not ${JSON.stringify(name)}`, { file });
  if (v.starred !== undefined && typeof v.starred !== 'boolean') throw new PipewiseError(`the run's starred must be true or false, not ${JSON.stringify(v.starred)}`, { file });
  // Not normalised: in a change, '' and false are meaningful (they remove the field).
  return { ...(name !== undefined ? { name } : {}), ...(note !== undefined ? { note } : {}), ...(v.starred !== undefined ? { starred: v.starred as boolean } : {}) };
}

/** Applies a change: a field given as '' (name, note) or false (starred) is removed. */
export function applyRunAnnotations(current: RunAnnotations, change: RunAnnotations): RunAnnotations {
  return withoutEmpty({ ...current, ...change });
}

function withoutEmpty(a: RunAnnotations): RunAnnotations {
  const name = a.name?.trim();
  const note = a.note?.trim();
  return { ...(name ? { name } : {}), ...(note ? { note } : {}), ...(a.starred ? { starred: true } : {}) };
}

/** One line for a run in a list: `★ name — note` (whatever is set). */
export function annotationsText(a: RunAnnotations | undefined): string {
  if (!a) return '';
  const firstLine = a.note?.split('\n')[0];
  return [a.starred ? '★' : '', a.name ?? '', firstLine ? `— ${firstLine}` : ''].filter(Boolean).join(' ');
}

/**
 * The Runs view's contextValue of a run item: starred runs get their own, so package.json's menus
 * offer "Unstar" on them and "Star" on the others (a `when` clause cannot read the label).
 */
export function runContextValue(a: RunAnnotations): 'pipewise.run' | 'pipewise.run.starred' {
  return a.starred ? 'pipewise.run.starred' : 'pipewise.run';
}
