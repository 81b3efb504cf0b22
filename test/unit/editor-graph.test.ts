import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ELK from 'elkjs/lib/elk.bundled.js';
import { parsePipeline } from '../../src/core/parse';
import { validatePipeline } from '../../src/core/validate';
import { buildGraphModel } from '../../src/extension/graph/graphModel';
import { layoutInput, layoutSignature, NODE_SIZE } from '../../webviews/graph/layoutInput';
import { targetOf, type GraphModel } from '../../src/protocol/graph';

const PENGUINS = path.resolve(__dirname, '../../examples/penguins/penguins.pipeline.yaml');

function model(text: string, file = '/w/p.pipeline.yaml', previous?: GraphModel, showArtifacts = true): GraphModel {
  const parsed = parsePipeline(text, file);
  return buildGraphModel(parsed, validatePipeline(parsed), { showArtifacts, ...(previous ? { previous } : {}) });
}

test('the penguin pipeline becomes stages, the artifacts between them, and edges from inputs', () => {
  const text = readFileSync(PENGUINS, 'utf8');
  const m = model(text, PENGUINS);
  assert.equal(m.pipeline, 'penguins');
  assert.equal(m.errorCount, 0);
  const stages = m.nodes.filter((n) => n.kind === 'stage').map((n) => n.id);
  assert.deepEqual(stages, ['examples', 'statistics', 'schema', 'validate', 'transform', 'train', 'evaluate', 'push']);
  const artifacts = m.nodes.filter((n) => n.kind === 'artifact').map((n) => n.id).sort();
  // One node per declared output (from src/core/components), written out by hand here.
  assert.deepEqual(artifacts, [
    'evaluate.blessing',
    'evaluate.evaluation',
    'examples.examples',
    'push.pushed_model',
    'schema.schema',
    'statistics.statistics',
    'train.model',
    'transform.transform_graph',
    'transform.transformed_examples',
    'validate.anomalies',
  ]);
  const edge = (s: string, t: string): boolean => m.edges.some((e) => e.source === s && e.target === t && !e.broken);
  assert.ok(edge('examples', 'examples.examples'));
  assert.ok(edge('examples.examples', 'statistics'));
  assert.ok(edge('examples.examples', 'evaluate'));
  assert.ok(edge('train.model', 'push'));
  assert.ok(edge('evaluate.blessing', 'push'));
  // 10 stage→artifact edges + 12 inputs in the file.
  assert.equal(m.edges.length, 10 + 12);
  const train = m.nodes.find((n) => n.id === 'train');
  assert.equal(train?.icon, 'brain');
  // The line of `  train:` found by text search.
  assert.equal(train?.line, text.split('\n').findIndex((l) => l.startsWith('  train:')) + 1);
});

test('without artifact nodes, edges link stages and carry the input name', () => {
  const m = model(readFileSync(PENGUINS, 'utf8'), PENGUINS, undefined, false);
  assert.equal(m.nodes.length, 8);
  const e = m.edges.find((x) => x.source === 'train' && x.target === 'push');
  assert.equal(e?.label, 'model');
  assert.equal(e?.broken, undefined);
});

test('a file with errors still draws what it can, broken parts marked', () => {
  const text = [
    'pipeline: p',
    'stages:',
    '  examples:',
    '    component: ExampleGen',
    '    params: { input: data/x.csv }',
    '  stats:',
    '    component: StatsGen',
    '    inputs: { examples: examples.examples }',
    '  schema:',
    '    component: SchemaGen',
    '    inputs: { statistics: statz.statistics }',
    '  lonely:',
    '    params: {}',
    '',
  ].join('\n');
  const m = model(text);
  assert.ok(m.errorCount >= 3);
  const byId = new Map(m.nodes.map((n) => [n.id, n]));
  assert.equal(byId.get('examples')?.problems.length, 0);
  assert.match(byId.get('stats')?.problems[0] ?? '', /^7:16 unknown component 'StatsGen'/);
  assert.match(byId.get('schema')?.problems.join() ?? '', /statz/);
  // The reference to a stage that does not exist is drawn as a missing node with a broken edge.
  assert.equal(byId.get('missing:statz')?.kind, 'missing');
  assert.ok(m.edges.some((e) => e.source === 'missing:statz' && e.target === 'schema' && e.broken));
  // A stage without a component is still a (broken) node.
  assert.equal(byId.get('lonely')?.kind, 'stage');
  assert.ok((byId.get('lonely')?.problems.length ?? 0) > 0);
  // An unknown component has no declared outputs, so its output read downstream is still drawn.
  assert.ok(byId.get('stats.examples') === undefined);
});

test('a syntax error keeps the last graph, marked stale with the position', () => {
  const good = model(readFileSync(PENGUINS, 'utf8'), PENGUINS);
  const broken = model('pipeline: penguins\nstages:\n  examples: {\n', PENGUINS, good);
  assert.ok(broken.stale);
  assert.equal(broken.nodes.length, good.nodes.length);
  assert.ok(broken.stale.line >= 3, JSON.stringify(broken.stale));
  const fresh = model('pipeline: p\nstages:\n  a: {\n');
  assert.equal(fresh.nodes.length, 0);
  assert.ok(fresh.stale);
});

test('layout input: one ELK child per node with its kind\'s size, edges to undrawn nodes dropped', () => {
  const m = model(readFileSync(PENGUINS, 'utf8'), PENGUINS);
  const input = layoutInput({ ...m, edges: [...m.edges, { id: 'dangling', source: 'nowhere', target: 'train' }] });
  assert.equal(input.children?.length, m.nodes.length);
  assert.equal(input.edges.length, m.edges.length);
  assert.deepEqual(
    { width: input.children?.find((c) => c.id === 'train')?.width, height: input.children?.find((c) => c.id === 'train')?.height },
    NODE_SIZE.stage,
  );
  assert.equal(input.layoutOptions?.['elk.direction'], 'RIGHT');
  // The signature changes with structure, not with problems.
  assert.equal(layoutSignature(m), layoutSignature({ ...m, errorCount: 3 }));
  assert.notEqual(layoutSignature(m), layoutSignature({ ...m, edges: m.edges.slice(1) }));
});

test('ELK lays the penguin graph out left to right: every edge goes rightwards, no two nodes overlap', async () => {
  const m = model(readFileSync(PENGUINS, 'utf8'), PENGUINS);
  const out = await new ELK().layout(layoutInput(m));
  const pos = new Map((out.children ?? []).map((c) => [c.id, c]));
  for (const e of m.edges) {
    const s = pos.get(e.source);
    const t = pos.get(e.target);
    assert.ok(s && t);
    assert.ok((s.x ?? 0) + (s.width ?? 0) <= (t.x ?? 0), `${e.source} → ${e.target} goes rightwards`);
  }
  const boxes = [...pos.values()];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (!a || !b) continue;
      const apart = (a.x ?? 0) + (a.width ?? 0) <= (b.x ?? 0) || (b.x ?? 0) + (b.width ?? 0) <= (a.x ?? 0) || (a.y ?? 0) + (a.height ?? 0) <= (b.y ?? 0) || (b.y ?? 0) + (b.height ?? 0) <= (a.y ?? 0);
      assert.ok(apart, `${a.id} and ${b.id} overlap`);
    }
  }
});

test('a 200-stage pipeline becomes a graph ELK can lay out', async () => {
  const lines = ['pipeline: big', 'stages:', '  s0:', '    component: ExampleGen', '    params: { input: data/x.csv }'];
  for (let i = 1; i < 200; i++) {
    lines.push(`  s${i}:`, '    component: Sql', `    inputs: { examples: s${Math.floor((i - 1) / 2)}.examples }`, '    params: { query: select 1 }');
  }
  const m = model(lines.join('\n'));
  assert.equal(m.errorCount, 0);
  assert.equal(m.nodes.length, 400);
  const out = await new ELK().layout(layoutInput(m));
  assert.equal(out.children?.length, 400);
  assert.ok((out.children ?? []).every((c) => Number.isFinite(c.x) && Number.isFinite(c.y)));
});

test('each example laid out top to bottom fits a 520 × 770 graph area with stage names of 11 px or more', async () => {
  const { layoutDirection } = await import('../../webviews/graph/layoutInput');
  assert.equal(layoutDirection('auto', 520, 770), 'DOWN');
  assert.equal(layoutDirection('auto', 1400, 770), 'RIGHT');
  assert.equal(layoutDirection('leftToRight', 520, 770), 'RIGHT');
  for (const example of ['penguins', 'weather', 'flights']) {
    const file = path.resolve(__dirname, `../../examples/${example}/${example}.pipeline.yaml`);
    const m = model(readFileSync(file, 'utf8'), file);
    const out = await new ELK().layout(layoutInput(m, 'DOWN'));
    const k = Math.min(1.25, 520 / (out.width ?? Infinity), 770 / (out.height ?? Infinity));
    // 13 px is the stage name's font size (media/graph.css); at Fit it is drawn k times that.
    assert.ok(k * 13 >= 11, `${example}: ${out.width}×${out.height} fits at ${k.toFixed(3)}, names at ${(k * 13).toFixed(1)} px`);
    const left = await new ELK().layout(layoutInput(m, 'RIGHT'));
    const kLeft = Math.min(520 / (left.width ?? Infinity), 770 / (left.height ?? Infinity));
    assert.ok(kLeft * 13 < 11, `${example}: left to right it would not be legible (${(kLeft * 13).toFixed(1)} px) — the reason for top to bottom`);
  }
});

test('far labels: screen-size names kept in model order, none overlapping, none off screen', async () => {
  const { farLabels } = await import('../../webviews/graph/farLabels');
  const kept = farLabels(
    [
      { id: 'a', text: 'examples', x: 100, y: 100 },
      { id: 'b', text: 'statistics', x: 110, y: 105 }, // overlaps a: dropped
      { id: 'c', text: 'schema', x: 100, y: 140 },
      { id: 'd', text: 'far_away', x: 5000, y: 100 }, // off screen: dropped
    ],
    { width: 520, height: 770, charWidth: 7 },
  );
  assert.deepEqual(kept.map((l) => l.id), ['a', 'c']);
});

test('graph actions name their target: a stage, a stage and its output, or a stage read but not declared', () => {
  const text = [
    'pipeline: p',
    'stages:',
    '  examples:',
    '    component: ExampleGen',
    '    params: { input: data/x.csv }',
    '  statistics:',
    '    component: StatisticsGen',
    '    inputs: { examples: examples.examples }',
    '  schema:',
    '    component: SchemaGen',
    '    inputs: { statistics: stats.statistics }',
    '',
  ].join('\n');
  const m = model(text);
  const byId = new Map(m.nodes.map((n) => [n.id, n]));
  assert.deepEqual(targetOf(byId.get('statistics')!), { kind: 'stage', stage: 'statistics' });
  assert.deepEqual(targetOf(byId.get('examples.examples')!), { kind: 'artifact', stage: 'examples', output: 'examples' });
  const missing = m.nodes.find((n) => n.kind === 'missing');
  assert.ok(missing, 'the unknown stage `stats` is drawn');
  assert.deepEqual(targetOf(missing), { kind: 'missing', stage: 'stats' });
});
