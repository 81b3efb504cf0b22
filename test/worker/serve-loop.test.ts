/**
 * The production loop on real data, as a user runs it with the CLI: penguins span 1 → run (train,
 * bless, push) → `pipewise serve` with a request log → 200 requests drawn like the training data →
 * `monitor` exits 0 → 200 shifted requests (island pinned to one value, bill_length_mm + 3σ) →
 * `monitor` exits 1 naming exactly those two → span 2 arrives → `run` retrains and pushes → the same
 * server process answers from the new version, and no request sent meanwhile fails.
 * The L∞ distance monitor reports for `island` is recomputed with DuckDB SQL from the Parquet files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../../src/engine/model/fitModel';
import type { RunResult } from '../../src/protocol/runEvents';
import { pipewise, postJson, root, startServe, versionsOf, waitFor } from './serve-helpers';
import { exampleGenStage, pipelineText, schemaGenStage, statisticsGenStage, trainerStage, transformStage } from '../pipelineText';

const PIPELINE = `${pipelineText(
  'penguins_ct',
  exampleGenStage('data/span-{SPAN}/*.csv', 'block'),
  statisticsGenStage(),
  schemaGenStage(),
  transformStage('species', 'block'),
  trainerStage('{ model: dnn, hidden_units: [16], epochs: 40 }'),
)}  evaluate:
    component: Evaluator
    inputs: { examples: examples.examples, model: train.model }
    params: { label: species, thresholds: { accuracy: { lower_bound: 0.9 } } }
  push:
    component: Pusher
    inputs: { model: train.model, blessing: evaluate.blessing }
    params: { destination: serving/penguins }
`;

type Row = Record<string, string | number | null>;

function readPenguins(): { header: string[]; lines: string[]; rows: Row[] } {
  const [head, ...lines] = readFileSync(path.join(root, 'test/fixtures/penguins.csv'), 'utf8').trim().split('\n');
  const header = (head as string).split(',');
  const rows = lines.map((l) => {
    const cells = l.split(',');
    const row: Row = {};
    header.forEach((h, i) => {
      const c = cells[i] as string;
      row[h] = c === 'NA' || c === '' ? null : /^-?\d+(\.\d+)?$/.test(c) ? Number(c) : c;
    });
    return row;
  });
  return { header, lines, rows };
}

const FEATURES = ['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex', 'year'];

function instance(r: Row): Row {
  return Object.fromEntries(FEATURES.map((f) => [f, r[f] ?? null]));
}

function runJson(r: { code: number | null; stdout: string; stderr: string }): RunResult {
  assert.equal(r.code, 0, `run failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as RunResult;
}

interface MonitorJson {
  window: { from: string; to: string };
  requests: number;
  features: { name: string; metric: string; distance: number; threshold: number; anomalous: boolean }[];
  anomalies: { feature: string; type: string }[];
}

async function lInfinityByDuckDB(trainParquet: string, logDir: string, since: Date): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    // The running server's log: finished Parquet files and the newline-delimited JSON segment it appends to (time in µs).
    const names = readdirSync(logDir);
    const parquet = names.filter((f) => /^requests-.*\.parquet$/.test(f)).map((f) => `SELECT island, __time FROM read_parquet('${path.join(logDir, f)}')`);
    const segments = names
      .filter((f) => /^requests-.*\.jsonl$/.test(f) && !names.includes(f.replace(/\.jsonl$/, '.parquet')))
      .map((f) => `SELECT island, make_timestamp(__time) AS __time FROM read_json('${path.join(logDir, f)}', format = 'newline_delimited', ignore_errors = true, columns = {'island': 'VARCHAR', '__time': 'BIGINT'}) WHERE __time IS NOT NULL`);
    const logged = [...parquet, ...segments].join(' UNION ALL ');
    const sql = `WITH t AS (SELECT island AS v, count(*) / sum(count(*)) OVER () AS p FROM read_parquet('${trainParquet}') WHERE island IS NOT NULL GROUP BY island),
      s AS (SELECT island AS v, count(*) / sum(count(*)) OVER () AS q FROM (${logged}) WHERE island IS NOT NULL AND __time >= make_timestamp(${since.getTime() * 1000}) GROUP BY island)
      SELECT max(abs(coalesce(p, 0) - coalesce(q, 0))) AS d FROM t FULL OUTER JOIN s USING (v)`;
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
    return Number(rows[0]?.d);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

test('span 1 → train → push → serve → monitor ok → shifted traffic flagged → span 2 → served without restart', { timeout: 900_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-loop-'));
  const file = path.join(dir, 'penguins.pipeline.yaml');
  writeFileSync(file, PIPELINE);
  const { header, lines, rows } = readPenguins();
  // Span 1: two rows in three (the file is sorted by species, so every species is in it); span 2: all.
  mkdirSync(path.join(dir, 'data/span-1'), { recursive: true });
  writeFileSync(path.join(dir, 'data/span-1/penguins.csv'), [header.join(','), ...lines.filter((_, i) => i % 3 !== 0)].join('\n') + '\n');
  const span1 = rows.filter((_, i) => i % 3 !== 0);
  let server: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    const run1 = runJson(await pipewise(['run', file, '--json'], dir));
    const push1 = JSON.parse(readFileSync(path.join(run1.stages.find((s) => s.name === 'push')?.artifacts.pushed_model as string, 'pushed.json'), 'utf8')) as { pushed: boolean; version: number };
    assert.equal(push1.pushed, true, 'span 1 model pushed');

    const base = path.join(dir, 'serving/penguins');
    const logDir = path.join(dir, 'requests');
    server = await startServe(base, ['--log-dir', logDir, '--poll-ms', '250']);
    const url = server.url;
    await waitFor('version 1 AVAILABLE', async () => ((await versionsOf(url, 'penguins')).some((v) => v.version === String(push1.version) && v.state === 'AVAILABLE') ? true : undefined));
    const predict = `${url}/v1/models/penguins:predict`;

    // 200 requests drawn like the training data (rows of span 1, with replacement).
    const rand = mulberry32(7);
    for (let i = 0; i < 200; i++) {
      const r = await postJson(predict, { instances: [instance(span1[Math.floor(rand() * span1.length)] as Row)] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const p = (r.body.predictions as { classes: string[]; prediction: string }[])[0];
      assert.deepEqual(p?.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
    }
    const monitor = async (extra: string[]): Promise<{ code: number | null; json: MonitorJson }> => {
      const r = await pipewise(['monitor', file, '--log', logDir, '--json', ...extra], dir);
      assert.ok(r.code === 0 || r.code === 1, `monitor exit ${r.code}: ${r.stderr}`);
      return { code: r.code, json: JSON.parse(r.stdout) as MonitorJson };
    };
    // The log is flushed within a second: wait until all 200 are on disk.
    let seen = '';
    const ok = await waitFor('200 logged requests', async () => {
      const m = await monitor([]);
      seen = `${m.json.requests} requests`;
      if (m.json.requests > 200) throw new Error(seen);
      return m.json.requests === 200 ? m : undefined;
    }, 60_000, 500).catch((e: Error) => assert.fail(`${e.message} (last seen: ${seen}; server: ${server?.stderr()})`));
    t.diagnostic(`like training: ${ok.json.features.map((f) => `${f.name} ${f.distance.toFixed(4)}`).join(', ')}`);
    assert.equal(ok.code, 0, `like training, nothing is anomalous: ${JSON.stringify(ok.json.features)} ${JSON.stringify(ok.json.anomalies)}`);
    assert.deepEqual(ok.json.features.map((f) => f.name), [...FEATURES].sort());
    assert.ok(ok.json.features.every((f) => !f.anomalous && f.distance <= f.threshold));

    // 200 shifted requests: island pinned to one value, bill_length_mm moved by +3σ of span 1.
    const bills = span1.map((r) => r.bill_length_mm).filter((v): v is number => typeof v === 'number');
    const mean = bills.reduce((a, b) => a + b, 0) / bills.length;
    const sd = Math.sqrt(bills.reduce((a, b) => a + (b - mean) ** 2, 0) / (bills.length - 1));
    await new Promise((r) => setTimeout(r, 20));
    const shiftFrom = new Date();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 200; i++) {
      const src = instance(span1[Math.floor(rand() * span1.length)] as Row);
      const shifted = { ...src, island: 'Torgersen', bill_length_mm: typeof src.bill_length_mm === 'number' ? src.bill_length_mm + 3 * sd : null };
      const r = await postJson(predict, { instances: [shifted] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const shifted = await waitFor('200 shifted requests logged', async () => {
      const m = await monitor(['--since', shiftFrom.toISOString()]);
      return m.json.requests === 200 ? m : undefined;
    }, 60_000, 500);
    t.diagnostic(`shifted: ${shifted.json.features.map((f) => `${f.name} ${f.distance.toFixed(4)}`).join(', ')}`);
    assert.equal(shifted.code, 1, 'shifted traffic is anomalous');
    assert.deepEqual(shifted.json.features.filter((f) => f.anomalous).map((f) => f.name), ['bill_length_mm', 'island']);
    assert.deepEqual([...new Set(shifted.json.anomalies.map((a) => a.feature))].sort(), ['bill_length_mm', 'island']);
    const island = shifted.json.features.find((f) => f.name === 'island');
    assert.equal(island?.metric, 'L_INFTY');
    assert.equal(shifted.json.features.find((f) => f.name === 'bill_length_mm')?.metric, 'JENSEN_SHANNON_DIVERGENCE');
    const trainParquet = path.join(run1.stages.find((s) => s.name === 'examples')?.artifacts.examples as string, 'Split-train/data.parquet');
    const oracle = await lInfinityByDuckDB(trainParquet, logDir, shiftFrom);
    assert.ok(Math.abs((island?.distance ?? NaN) - oracle) < 1e-9, `L∞ ${island?.distance} vs DuckDB ${oracle}`);

    // Span 2 arrives; requests keep flowing while the pipeline retrains and the server switches.
    mkdirSync(path.join(dir, 'data/span-2'), { recursive: true });
    writeFileSync(path.join(dir, 'data/span-2/penguins.csv'), [header.join(','), ...lines].join('\n') + '\n');
    let stopTraffic = false;
    const statuses: number[] = [];
    const traffic = (async () => {
      while (!stopTraffic) statuses.push((await postJson(predict, { instances: [instance(span1[Math.floor(rand() * span1.length)] as Row)] })).status);
    })();
    const run2 = runJson(await pipewise(['run', file, '--json'], dir));
    assert.equal(run2.stages.find((s) => s.name === 'examples')?.status, 'succeeded', 'a new span runs ExampleGen again');
    const execs = readdirSync(path.join(dir, '.pipewise/metadata/executions')).map((f) => JSON.parse(readFileSync(path.join(dir, '.pipewise/metadata/executions', f), 'utf8')) as { stage: string; runId: string; outputs: { properties: Record<string, unknown> }[] });
    const eg2 = execs.find((e) => e.stage === 'examples' && e.runId === run2.runId);
    assert.equal(eg2?.outputs[0]?.properties.span, 2, 'the span is in the artifact properties (lineage)');
    const push2 = JSON.parse(readFileSync(path.join(run2.stages.find((s) => s.name === 'push')?.artifacts.pushed_model as string, 'pushed.json'), 'utf8')) as { pushed: boolean; version: number };
    assert.equal(push2.pushed, true, 'span 2 model blessed and pushed');
    assert.ok(push2.version > push1.version);
    await waitFor('version 2 AVAILABLE, version 1 retired', async () => {
      const vs = await versionsOf(url, 'penguins');
      return vs.some((v) => v.version === String(push2.version) && v.state === 'AVAILABLE') && vs.some((v) => v.version === String(push1.version) && v.state === 'END') ? true : undefined;
    });
    stopTraffic = true;
    await traffic;
    assert.ok(statuses.length > 0);
    assert.deepEqual([...new Set(statuses)], [200], 'no request failed while the version changed');
    // The same process answers from the new version: the metadata and the request log say so.
    const meta = await fetch(`${url}/v1/models/penguins/metadata`).then((r) => r.json() as Promise<{ model_spec: { version: string } }>);
    assert.equal(meta.model_spec.version, String(push2.version));
    assert.equal(server.proc.exitCode, null, 'the server was not restarted');
    assert.equal(await server.stop(), 0, 'SIGTERM ends the server cleanly');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const files = readdirSync(logDir).filter((f) => f.endsWith('.parquet')).map((f) => `'${path.join(logDir, f)}'`);
    const versions = (await conn.runAndReadAll(`SELECT DISTINCT __model_version AS v FROM read_parquet([${files.join(',')}]) ORDER BY v`)).getRowObjectsJS().map((r) => Number(r.v));
    conn.closeSync();
    db.closeSync();
    assert.deepEqual(versions.at(-1), push2.version, 'requests were answered by the new version');
  } finally {
    await server?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
