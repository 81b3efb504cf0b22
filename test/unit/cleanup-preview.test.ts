/**
 * The words of *Clean Up Store…* (issue 27 item 1): the prompt names the pipeline whose runs are
 * counted and the pipelines that share its store (not "the store of X"), and the confirmation
 * lists what gc's dry run keeps, grouped by its reason, beside what it removes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupPreview, cleanupPrompt } from '../../src/extension/runs/gcPreview';
import type { GcReport } from '../../src/protocol/store';

const report: GcReport = {
  storeDir: '/w/.pipewise',
  dryRun: true,
  keptRuns: 1,
  kept: [
    { id: 'examples/e3/examples', why: 'one of the last 1 runs of churn.pipeline.yaml (run r3)' },
    { id: 'train/e3/model', why: 'one of the last 1 runs of churn.pipeline.yaml (run r3)' },
    { id: 'train/e1/model', why: 'pushed by execution p1' },
    { id: 'statistics/e1/statistics', why: 'made model train/e1/model (pushed by execution p1)' },
    { id: 'evaluate/e1/evaluation', why: 'judges model train/e1/model (pushed by execution p1)' },
  ],
  removed: [{ id: 'validate/e1/anomalies', uri: '/w/.pipewise/artifacts/validate/e1/anomalies', bytes: 2048 }],
  orphans: [],
  bytesFreed: 2048,
  storeBytesBefore: 4 * 1024 * 1024,
};

test('the prompt names the pipeline whose runs are counted, and the pipelines sharing its store', () => {
  const p = cleanupPrompt('/w/churn.pipeline.yaml', ['/w/ames.pipeline.yaml']);
  assert.doesNotMatch(p.title, /store of/);
  assert.match(p.title, /churn\.pipeline\.yaml/);
  assert.match(p.prompt, /recent runs of churn\.pipeline\.yaml\?/);
  assert.match(p.prompt, /ames\.pipeline\.yaml shares this store: its runs are counted apart/);
  assert.doesNotMatch(cleanupPrompt('/w/churn.pipeline.yaml', []).prompt, /share/, 'nothing about sharing when no other pipeline shares it');
});

test('the preview says what is removed, and what is kept and why, grouped by reason', () => {
  const { message, detail } = cleanupPreview(report, '/w/churn.pipeline.yaml', 1, ['/w/ames.pipeline.yaml']);
  assert.match(message, /Remove 1 artifact folder\(s\) of churn\.pipeline\.yaml and free 2\.0 KiB of the store's 4\.0 MiB\?/);
  assert.match(detail, /Runs counted: the last 1 of churn\.pipeline\.yaml \(1 found\)\. ames\.pipeline\.yaml shares the store; its artifacts stay\./);
  assert.match(detail, /Removed \(1\): validate\.anomalies/);
  assert.match(detail, /Kept \(5\), and why:/);
  // One line per reason, naming its artifacts as stage.output.
  assert.match(detail, /^• one of the last 1 runs of churn\.pipeline\.yaml \(run r3\): examples\.examples, train\.model$/m);
  assert.match(detail, /^• pushed by execution p1: train\.model$/m);
  assert.match(detail, /^• judges model train\/e1\/model \(pushed by execution p1\): evaluate\.evaluation$/m);
  assert.match(detail, /^• made model train\/e1\/model \(pushed by execution p1\): statistics\.statistics$/m);
});

test('a long preview sums up the reasons past the first eight', () => {
  const many: GcReport = { ...report, kept: Array.from({ length: 12 }, (_, i) => ({ id: `s${i}/e${i}/out`, why: `reason ${i}` })) };
  const { detail } = cleanupPreview(many, '/w/churn.pipeline.yaml', 1, []);
  assert.equal(detail.split('\n').filter((l) => l.startsWith('• reason')).length, 8);
  assert.match(detail, /• 4 more, for 4 other reason\(s\)/);
});
