/**
 * The decision-forest side of the training bench: YDF gradient-boosted trees (its defaults, as the
 * Trainer trains them) on DATA.bin (N rows × WIDTH float32 features, then N float32 class labels),
 * through the same src/engine/model/ydf.ts the Trainer uses. Only `train` is timed, wall-clock and
 * process CPU. Prints one JSON line: { ms, cpuMs, heapMiB, trees }.
 *
 * usage: node trees.bench.js DATA.bin N WIDTH RUNS
 */
import { readFileSync } from 'node:fs';
import { loadYdf, numberOfTrees, ydfCall, type YdfColumns } from '../src/engine/model/ydf';

async function main(): Promise<void> {
  const [file, nText, widthText, runsText] = process.argv.slice(2);
  const n = Number(nText);
  const width = Number(widthText);
  const runs = Number(runsText);
  const buf = readFileSync(file as string);
  const raw = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const columns: YdfColumns = {};
  for (let j = 0; j < width; j++) columns[`f${j}`] = Array.from({ length: n }, (_, i) => raw[i * width + j] as number);
  columns.label = Array.from({ length: n }, (_, i) => `c${raw[n * width + i] as number}`);
  const ydf = await loadYdf();
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let trees: number | undefined;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const model = ydfCall('bench training', () => new ydf.GradientBoostedTreesLearner('label', 'CLASSIFICATION').train(columns));
    const used = process.cpuUsage(c);
    ms.push(performance.now() - t);
    cpuMs.push((used.user + used.system) / 1000);
    trees = numberOfTrees(model.describe());
    model.unload();
  }
  // The wasm heap only grows: its size after training is what the largest run needed.
  const heap = (ydf as unknown as { HEAP8: Int8Array }).HEAP8.buffer.byteLength;
  console.log(JSON.stringify({ ms, cpuMs, heapMiB: heap / 2 ** 20, trees }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
