import * as z from 'zod';
import { declareComponent } from '../component';

/**
 * CSV cells read as missing unless a pipeline says otherwise: pandas' usual ones plus the tokens
 * that data sets use for "unknown" (`?`, `-`, `n/a`), `NA` in any case. A numeric column with one of
 * these stays numeric instead of silently becoming text.
 */
export const DEFAULT_NULL_STRINGS: readonly string[] = ['', 'NA', 'na', 'Na', 'nA', 'N/A', 'n/a', 'N/a', 'n/A', 'NaN', 'nan', 'null', 'NULL', '?', '-'];

const relPath = z.string().min(1).describe('A path relative to the pipeline file; it may not leave the pipeline\'s folder.');

export const ExampleGen = declareComponent({
  name: 'ExampleGen',
  version: '2', // 2: CSV columns of Yes/No words stay strings (DuckDB sniffs them as BOOLEAN)
  description:
    'Reads CSV, Parquet or JSON/NDJSON files (one file or a glob) with DuckDB and splits the rows into train and eval (2:1 by a deterministic hash, as TFX), or by a column\'s value or a time boundary. Writes one Parquet file per split.',
  inputs: {},
  outputs: { examples: { type: 'Examples', description: 'The examples, one Parquet file per split.' } },
  params: z
    .strictObject({
      input: z.union([relPath, z.array(relPath).min(1)]).describe('Data file(s) or glob(s), relative to the pipeline file; {SPAN}, {VERSION} or {YYYY}{MM}{DD} make a span pattern (see `span`).'),
      format: z.enum(['auto', 'csv', 'parquet', 'json']).default('auto').describe('File format; `auto` decides by extension.'),
      span: z
        .union([z.literal('latest'), z.number().int().nonnegative(), z.strictObject({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() })])
        .default('latest')
        .describe('With {SPAN} or {YYYY}{MM}{DD} in `input` (TFX spans; {VERSION} too): `latest` (the default), one span number, or `{ from, to }`.'),
      splits: z
        .record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.number().int().positive())
        .default({ train: 2, eval: 1 })
        .describe('Hash split: split name → relative weight (buckets), as TFX\'s `hash_buckets`.'),
      split_key: z
        .array(z.string())
        .optional()
        .describe('Columns whose values are hashed to pick a split (default: the whole row).'),
      split_column: z
        .string()
        .optional()
        .describe('Split by this column instead: its value names the split (or see `split_values`).'),
      split_values: z
        .record(z.string(), z.array(z.union([z.string(), z.number()])))
        .optional()
        .describe('With `split_column`: split name → the column values that go into it.'),
      split_time: z
        .strictObject({ column: z.string(), boundary: z.string().describe('Rows before go to `train`, from it on to `eval`.') })
        .optional()
        .describe('Split by time: rows before the boundary train, the rest eval.'),
      csv: z
        .strictObject({
          delimiter: z.string().length(1).optional(),
          header: z.boolean().default(true),
          null_strings: z
            .array(z.string())
            .default([...DEFAULT_NULL_STRINGS])
            .describe('Cells read as missing (exact text). Default: empty, NA in any case, N/A, n/a, NaN, nan, null, NULL, ?, -.'),
        })
        .default({ header: true, null_strings: [...DEFAULT_NULL_STRINGS] })
        .describe('CSV reading options.'),
      on_bad_rows: z
        .enum(['fail', 'skip'])
        .default('fail')
        .describe('A CSV row that cannot be read (ragged, a malformed quote, a value that fits no type): `fail` names its file and line; `skip` leaves such rows out and reports how many.'),
    })
    .describe('ExampleGen parameters'),
  pathParams: ['input'],
});

export const StatisticsGen = declareComponent({
  name: 'StatisticsGen',
  version: '1',
  description:
    'Computes TFDV statistics for every split and feature with DuckDB: counts, missing, mean, std, zeros, min, median, max, standard and quantile histograms; unique values, top values and average length for strings.',
  inputs: { examples: { type: 'Examples', description: 'The examples to describe.' } },
  outputs: { statistics: { type: 'ExampleStatistics', description: 'statistics.json, TFDV\'s DatasetFeatureStatisticsList.' } },
  params: z.strictObject({
    num_top_values: z.number().int().positive().default(20).describe('How many top values to keep for string features (TFDV: 20).'),
    num_histogram_buckets: z.number().int().positive().default(10).describe('Equal-width histogram buckets (TFDV: 10).'),
    num_quantiles_histogram_buckets: z.number().int().positive().default(10).describe('Quantile histogram buckets (TFDV: 10).'),
    exclude_splits: z.array(z.string()).default([]).describe('Splits not to describe.'),
  }),
});

export const SchemaGen = declareComponent({
  name: 'SchemaGen',
  version: '1',
  description:
    'Infers a schema from statistics as TFDV does (type, presence, string domains for features with at most 100 distinct values, value ranges), or takes a curated schema file instead.',
  inputs: { statistics: { type: 'ExampleStatistics', description: 'Statistics of the training data.' } },
  outputs: { schema: { type: 'Schema', description: 'schema.json (TFMD Schema) and schema.yaml.' } },
  params: z.strictObject({
    schema_file: relPath.optional().describe('A curated schema.json/schema.yaml to use instead of inferring one.'),
    infer_feature_shape: z.boolean().default(true).describe('Infer a fixed shape for features that are always present once.'),
    max_domain_values: z.number().int().positive().default(100).describe('String features with at most this many distinct values get a domain.'),
    infer_value_ranges: z
      .boolean()
      .default(false)
      .describe('Record the observed min/max of numeric features as their int/float domain (TFDV does not by default: other splits then report values out of range).'),
    split: z.string().default('train').describe('The split whose statistics the schema is inferred from.'),
  }),
  pathParams: ['schema_file'],
});

export const ExampleValidator = declareComponent({
  name: 'ExampleValidator',
  version: '1',
  description:
    'Checks statistics against the schema (missing and new columns, types, unexpected values, ranges, NaN/Inf, presence, example counts) and, with baseline statistics, for drift and skew (L∞ for categorical, Jensen–Shannon divergence for numeric), as TFDV.',
  inputs: {
    statistics: { type: 'ExampleStatistics', description: 'Statistics to validate.' },
    schema: { type: 'Schema', description: 'The schema to validate against.' },
    baseline_statistics: { type: 'ExampleStatistics', description: 'Statistics of the previous span (drift) or of training data (skew).', optional: true },
  },
  outputs: { anomalies: { type: 'ExampleAnomalies', description: 'anomalies.json, TFMD Anomalies.' } },
  params: z.strictObject({
    splits: z.array(z.string()).optional().describe('Splits to validate (default: all).'),
    drift: z
      .record(z.string(), z.number().positive())
      .default({})
      .describe('Feature → drift threshold, compared between consecutive splits or against the baseline (L∞ or JS divergence).'),
    skew: z
      .record(z.string(), z.number().positive())
      .default({})
      .describe('Feature → skew threshold between the `train` split and the `serving` split or the baseline.'),
    drift_splits: z
      .tuple([z.string(), z.string()])
      .optional()
      .describe('Compare these two splits for drift instead of the baseline (previous, current).'),
    fail_on_error: z.boolean().default(false).describe('Fail the stage when an ERROR anomaly is found.'),
  }),
});

export const Sql = declareComponent({
  name: 'Sql',
  version: '1',
  description:
    'Runs a DuckDB query over its input examples, split by split, and writes the result as examples. In the query, `examples` is the current split\'s table.',
  inputs: { examples: { type: 'Examples', description: 'Input examples; `examples` in the query.' } },
  outputs: { examples: { type: 'Examples', description: 'The query\'s result, per split.' } },
  params: z.strictObject({
    query: z.string().min(1).describe('A DuckDB SELECT over the table `examples`.'),
    splits: z.array(z.string()).optional().describe('Splits to run on (default: all).'),
  }),
});
