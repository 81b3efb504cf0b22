/**
 * `pipewise importance EVALUATION [--json]`: the permutation feature importance an Evaluator wrote
 * (feature_importance.json; README, "Feature importance"), as a table — feature, mean drop, std and
 * a bar — or with `--json` the file itself. EVALUATION is the file, the evaluation folder, or its
 * metrics.json, so the path the run output and `pipewise lineage` print works as it is.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { buildImportanceView } from '../core/evaluationView';
import type { FeatureImportanceFile, PartialDependence } from '../protocol/evaluation';
import { errorMessage } from '../protocol/errors';
import { FEATURE_IMPORTANCE_FILE } from '../engine/evaluation/importance';

/** The feature_importance.json an argument means. */
export async function importanceFileOf(arg: string): Promise<string> {
  const abs = path.resolve(arg);
  const stat = await fs.stat(abs).catch(() => undefined);
  if (!stat) throw new PipewiseError(`no such file or folder: ${abs}`, { code: 'usage' });
  if (stat.isDirectory()) return path.join(abs, FEATURE_IMPORTANCE_FILE);
  return path.basename(abs) === 'metrics.json' ? path.join(path.dirname(abs), FEATURE_IMPORTANCE_FILE) : abs;
}

export async function importanceCommand(arg: string, json: boolean): Promise<number> {
  const file = await importanceFileOf(arg);
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new PipewiseError(
      e.code === 'ENOENT' ? `${file}: not found (an evaluation written before feature importance, or with feature_importance.repeats 0)` : `${file}: ${errorMessage(e)}`,
      { code: 'usage' },
    );
  });
  let parsed: FeatureImportanceFile;
  try {
    parsed = JSON.parse(text) as FeatureImportanceFile;
  } catch (e) {
    throw new PipewiseError(`${file}: not JSON (${errorMessage(e)})`);
  }
  try {
    buildImportanceView(file, parsed); // checks the shape, naming the file
  } catch (e) {
    throw new PipewiseError(errorMessage(e));
  }
  process.stdout.write(json ? `${JSON.stringify(parsed, null, 2)}\n` : formatImportance(parsed));
  return 0;
}

const BAR_WIDTH = 30;

/** The table `pipewise importance` prints: a header saying what was measured on what, then one line per feature. */
export function formatImportance(f: FeatureImportanceFile): string {
  const rows = f.sampled ? `${f.rows} of ${f.usable_rows} eval rows (sampled above max_rows ${f.max_rows})` : `${f.rows} eval rows`;
  const lines = [`Permutation importance: drop of ${f.metric} (${f.baseline.toFixed(4)} unshuffled), ${f.repeats} repeats, seed ${f.seed}, on ${rows}`, ''];
  const width = Math.max('feature'.length, ...f.features.map((x) => x.feature.length));
  const top = Math.max(0, ...f.features.map((x) => x.mean));
  lines.push(`${'feature'.padEnd(width)}  ${'mean drop'.padStart(10)}  ${'std'.padStart(8)}`);
  for (const x of f.features) {
    const bar = top > 0 && x.mean > 0 ? '█'.repeat(Math.max(1, Math.round((BAR_WIDTH * x.mean) / top))) : '';
    lines.push(`${x.feature.padEnd(width)}  ${x.mean.toFixed(4).padStart(10)}  ${x.std.toFixed(4).padStart(8)}  ${bar}`);
  }
  if (f.model) {
    for (const [type, list] of Object.entries(f.model.importances)) {
      lines.push('', `The model's own importances (${f.model.source}, ${type}):`);
      const w = Math.max(...list.map((x) => x.feature.length), 7);
      for (const x of [...list].sort((a, b) => b.importance - a.importance)) lines.push(`${x.feature.padEnd(w)}  ${String(Number(x.importance.toPrecision(6))).padStart(10)}`);
    }
  }
  for (const p of f.partial_dependence ?? []) lines.push('', ...formatPartialDependence(p, f.rows));
  return `${lines.join('\n')}\n`;
}

/** One feature's partial dependence as a table: the value it was set to, then each output's mean. */
function formatPartialDependence(p: PartialDependence, rows: number): string[] {
  const what = p.outputs.length === 1 && p.outputs[0] === 'prediction' ? 'mean prediction' : p.outputs.length === 1 ? `mean probability of ${p.outputs[0]}` : 'mean probability of each class';
  const shown = p.grid.map((x) => (typeof x === 'number' ? String(Number(x.toPrecision(6))) : x));
  const first = Math.max(p.feature.length, ...shown.map((x) => x.length));
  const widths = p.outputs.map((o) => Math.max(o.length, 8));
  // Indented under its heading, so no line of it reads as a row of the importance table above.
  const out = [`Partial dependence on ${p.feature}: ${what} over the ${rows} rows with ${p.feature} set to each value`, `  ${p.feature.padEnd(first)}  ${p.outputs.map((o, k) => o.padStart(widths[k] as number)).join('  ')}`];
  shown.forEach((x, g) => out.push(`  ${x.padEnd(first)}  ${p.outputs.map((_, k) => (p.average[k]?.[g] ?? NaN).toFixed(4).padStart(widths[k] as number)).join('  ')}`));
  return out;
}
