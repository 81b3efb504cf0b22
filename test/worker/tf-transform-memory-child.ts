/**
 * Runs Transform on an Examples folder in this process and prints its peak RSS: the child of
 * tf-transform-memory.test.ts, so that the measure is this process's alone.
 *   node --import tsx tf-transform-memory-child.ts EXAMPLES_DIR
 */
import { Transform } from '../../src/core/components/modelComponents';
import { transform } from '../../src/engine/components/transform';
import { artifact, makeContext, tempDir } from './tf-helpers';

async function main(): Promise<void> {
  const examples = process.argv[2] as string;
  const ctx = makeContext({
    params: Transform.params.parse({ label: 'species', features: { island: { kind: 'vocabulary' } } }),
    inputs: { examples: artifact(examples, 'Examples') },
    outputs: ['transform_graph', 'transformed_examples'],
    root: tempDir('pw-mem-'),
  });
  await transform.run(ctx);
  // maxRSS is in kilobytes.
  process.stdout.write(`${JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, out: ctx.outputs.transformed_examples })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
