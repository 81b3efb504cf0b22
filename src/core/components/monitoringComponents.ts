import * as z from 'zod';
import { declareComponent } from '../component';

const relPath = z.string().min(1).describe('A path relative to the pipeline file; it may not leave the pipeline\'s folder.');

export const Monitor = declareComponent({
  name: 'Monitor',
  version: '1',
  description:
    'Monitors a served model: TFDV statistics of the requests `pipewise serve --log-dir` logged, checked against the schema (in its SERVING environment: no label) and compared with the training statistics for skew (L∞ for categorical, Jensen–Shannon divergence for numeric; the schema\'s skew_comparator thresholds, else `threshold`).',
  inputs: {
    schema: { type: 'Schema', description: 'The training schema.' },
    statistics: { type: 'ExampleStatistics', description: 'Statistics of the training data (the `split` dataset is compared).' },
  },
  outputs: {
    statistics: { type: 'ExampleStatistics', description: 'statistics.json of the logged requests (one dataset, `serving`).' },
    anomalies: { type: 'ExampleAnomalies', description: 'anomalies.json, TFMD Anomalies of the logged requests.' },
  },
  params: z.strictObject({
    log_dir: relPath.describe('The request log folder (`pipewise serve --log-dir`).'),
    split: z.string().default('train').describe('The training split of `statistics` to compare with.'),
    threshold: z.number().positive().max(1).optional().describe('One skew threshold for every feature, over the schema\'s comparators (default: the schema\'s, else 0.1).'),
    since: z.string().optional().describe('Only requests from this ISO time on.'),
    until: z.string().optional().describe('Only requests before this ISO time.'),
    fail_on_error: z.boolean().default(false).describe('Fail the stage when the requests are anomalous.'),
  }),
  pathParams: ['log_dir'],
});
