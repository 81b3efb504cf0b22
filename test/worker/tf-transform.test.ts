/**
 * Transform on real data: the fitted analyzers against pandas (an independent oracle, run with
 * Debian's python3, found by oraclePython()), the transformed examples against the serving path (same rows, same
 * vectors), and bad input refused with the column and value named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { Transform } from '../../src/core/components/modelComponents';
import { transform } from '../../src/engine/components/transform';
import { applyTransform, vectorizeRows } from '../../src/engine/transform/applyTransform';
import { queryRows, withDuckDb } from '../../src/engine/transform/examplesIo';
import type { FittedFeature, TransformSpec } from '../../src/engine/transform/transformSpec';
import { artifact, FIXTURES, makeContext, makeExamples, tempDir } from './tf-helpers';
import { oraclePython } from '../python';

const PENGUINS = path.join(FIXTURES, 'penguins.csv');

async function runTransform(examples: string, params: Record<string, unknown>) {
  const root = tempDir();
  const ctx = makeContext({
    params: Transform.params.parse(params),
    inputs: { examples: artifact(examples, 'Examples') },
    outputs: ['transform_graph', 'transformed_examples'],
    root,
  });
  await transform.run(ctx);
  const spec = JSON.parse(readFileSync(path.join(ctx.outputs.transform_graph as string, 'transform.json'), 'utf8')) as TransformSpec;
  return { ctx, spec };
}

interface PandasFacts {
  rows: number;
  bill_mean: number;
  bill_std: number;
  depth_mean: number;
  depth_std: number;
  mass_min: number;
  mass_max: number;
  flipper_q: number[];
  island_vocab: string[];
  sex_top1: string;
  classes: string[];
}

function feature<K extends FittedFeature['kind']>(spec: TransformSpec, name: string, kind: K): Extract<FittedFeature, { kind: K }> {
  const f = spec.features.find((x) => x.name === name);
  assert.ok(f && f.kind === kind, `${name} should be ${kind}`);
  return f as Extract<FittedFeature, { kind: K }>;
}

test('analyzers match pandas on the penguins train split', async () => {
  const examples = await makeExamples(PENGUINS, path.join(tempDir(), 'examples'));
  const { spec } = await runTransform(examples, {
    label: 'species',
    features: { body_mass_g: { kind: 'minmax' }, flipper_length_mm: { kind: 'bucketize', buckets: 4 }, sex: { kind: 'vocabulary', top_k: 1 } },
  });
  // pandas reads the train split as CSV (DuckDB writes it; pyarrow is not installed here).
  const trainCsv = path.join(examples, 'train.csv');
  await withDuckDb((conn) => conn.run(`COPY (SELECT * FROM read_parquet('${path.join(examples, 'Split-train', 'data.parquet')}')) TO '${trainCsv}' (HEADER)`).then(() => undefined));
  const oracle = JSON.parse(
    execFileSync(
      oraclePython(),
      [
        '-c',
        `
import json, sys, pandas as pd
d = pd.read_csv(sys.argv[1])
out = {
  'rows': len(d),
  'bill_mean': d.bill_length_mm.mean(), 'bill_std': d.bill_length_mm.std(ddof=0),
  'depth_mean': d.bill_depth_mm.mean(), 'depth_std': d.bill_depth_mm.std(ddof=0),
  'mass_min': d.body_mass_g.min(), 'mass_max': d.body_mass_g.max(),
  'flipper_q': [d.flipper_length_mm.quantile(q) for q in (0.25, 0.5, 0.75)],
  'island_vocab': [k for k, _ in sorted(d.island.value_counts().items(), key=lambda kv: (-kv[1], kv[0]))],
  'sex_top1': d.sex.value_counts().index[0],
  'classes': sorted(d.species.unique().tolist()),
}
print(json.dumps(out, default=float))
`,
        trainCsv,
      ],
      { encoding: 'utf8' },
    ),
  ) as PandasFacts;

  assert.equal(spec.fittedOn.rows, oracle.rows);
  const bill = feature(spec, 'bill_length_mm', 'zscore');
  assert.ok(Math.abs(bill.mean - oracle.bill_mean) < 1e-9, `mean ${bill.mean} vs pandas ${oracle.bill_mean}`);
  assert.ok(Math.abs(bill.std - oracle.bill_std) < 1e-9, `std ${bill.std} vs pandas ${oracle.bill_std}`);
  assert.equal(bill.fill, bill.mean);
  const depth = feature(spec, 'bill_depth_mm', 'zscore');
  assert.ok(Math.abs(depth.std - oracle.depth_std) < 1e-9);
  const mass = feature(spec, 'body_mass_g', 'minmax');
  assert.deepEqual([mass.min, mass.max], [oracle.mass_min, oracle.mass_max]);
  const flipper = feature(spec, 'flipper_length_mm', 'bucketize');
  assert.deepEqual(flipper.boundaries, [...new Set(oracle.flipper_q)]);
  assert.deepEqual(feature(spec, 'island', 'vocabulary').vocabulary, oracle.island_vocab);
  assert.deepEqual(feature(spec, 'sex', 'vocabulary').vocabulary, [oracle.sex_top1]);
  assert.deepEqual(spec.label.classes, oracle.classes);
  // year is numeric: the default is a z-score.
  assert.equal(spec.features.find((f) => f.name === 'year')?.kind, 'zscore');
});

test('transformed examples and the serving path give the same vectors for the same rows', async () => {
  const examples = await makeExamples(PENGUINS, path.join(tempDir(), 'examples'));
  const { ctx, spec } = await runTransform(examples, { label: 'species', crosses: [{ features: ['island', 'sex'], buckets: 16 }] });
  for (const split of ['train', 'eval']) {
    const [raw, transformed] = await withDuckDb(async (conn) => [
      await queryRows(conn, `SELECT * FROM read_parquet('${path.join(examples, `Split-${split}`, 'data.parquet')}')`),
      await queryRows(conn, `SELECT * FROM read_parquet('${path.join(ctx.outputs.transformed_examples as string, `Split-${split}`, 'data.parquet')}')`),
    ]);
    assert.equal(raw.length, transformed.length);
    assert.ok(raw.length > 50);
    const served = applyTransform(spec, raw);
    const trained = vectorizeRows(spec, transformed);
    assert.equal(served.length, raw.length * spec.width);
    // Parquet stores DOUBLE; the vectors are float32 on both paths.
    assert.deepEqual(trained, served);
    // The label column holds class indices in the order of spec.label.classes.
    raw.forEach((r, i) => assert.equal(spec.label.classes?.[Number(transformed[i]?.species)], r.species));
  }
});

async function transformError(select: string, params: Record<string, unknown>, where = 'TRUE'): Promise<string> {
  const examples = await makeExamples(PENGUINS, path.join(tempDir(), 'examples'), select, where);
  try {
    await runTransform(examples, params);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('the transform should have failed');
}

test('bad input is refused with the column and values named', async () => {
  assert.match(await transformError('*', { label: 'kind' }), /label column 'kind' is not in the examples \(columns: species, island/);
  assert.match(await transformError("*, 'x' AS constant", { label: 'constant' }), /label 'constant' is constant \('x'\)/);
  // A class only the eval split has: rewrite one eval row's label.
  const examples = await makeExamples(PENGUINS, path.join(tempDir(), 'examples'));
  const evalFile = path.join(examples, 'Split-eval', 'data.parquet');
  await withDuckDb(async (conn) => {
    await conn.run(`COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN 'Unicorn' ELSE species END AS species) FROM read_parquet('${evalFile}')) TO '${evalFile}.new' (FORMAT parquet)`);
  });
  renameSync(`${evalFile}.new`, evalFile);
  await assert.rejects(runTransform(examples, { label: 'species' }), /eval split has label class 'Unicorn' of 'species' that the train split never has/);
  assert.match(await transformError('*, CAST(NULL AS DOUBLE) AS empty_a, CAST(NULL AS VARCHAR) AS empty_b', { label: 'species' }), /features 'empty_a', 'empty_b' have no value in any of the \d+ rows of the train split/);
  assert.match(await transformError("* REPLACE (CASE WHEN bill_length_mm > 50 THEN 'NaN'::DOUBLE ELSE body_mass_g END AS body_mass_g)", { label: 'body_mass_g' }), /label 'body_mass_g' is missing \(null, NaN or infinite\) in \d+ of \d+ rows of the (train|eval) split/);
  assert.match(await transformError('*', { label: 'species', features: { island: { kind: 'zscore' } } }), /feature 'island' holds VARCHAR values; 'zscore' needs numbers/);
});
