/**
 * Runs the Evaluator on an Examples folder in this process and prints its peak RSS: the child of
 * evaluation-memory.test.ts, so that the measure is this process's alone. The model is the fixtures'
 * multiclass species model (a known function of the row), so the memory measured is the Evaluator's.
 *   node --import tsx evaluation-memory-child.ts EXAMPLES_DIR
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { createEvaluator } from '../../src/engine/components/evaluator';
import { artifact, makeContext, speciesModel, tempDir } from '../fixtures/evaluation/context';

async function main(): Promise<void> {
  const examples = process.argv[2] as string;
  const root = await tempDir('eval-mem');
  const modelDir = path.join(root, 'model');
  await fs.mkdir(modelDir);
  const inputs = { examples: artifact('Examples', examples), model: artifact('Model', modelDir, 'train', 'model') };
  const ctx = await makeContext<never>('Evaluator', { slices: [['island']] }, inputs, root);
  await createEvaluator(async () => speciesModel()).run(ctx);
  // maxRSS is in kilobytes; the fixtures' temp folder is gone when this process exits, so metrics.json travels in the output.
  const metrics = JSON.parse(readFileSync(path.join(ctx.outputs.evaluation as string, 'metrics.json'), 'utf8')) as unknown;
  const predictions = JSON.parse(readFileSync(path.join(ctx.outputs.evaluation as string, 'predictions.json'), 'utf8')) as { y: unknown[]; scores: unknown[]; sampled_from?: number };
  const kept = { rows: predictions.y.length, scores: predictions.scores.length, sampled_from: predictions.sampled_from };
  process.stdout.write(`${JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, metrics, predictions: kept })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
