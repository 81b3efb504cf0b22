/**
 * How a stage cell shows what its stage produced, by artifact type (docs/ARCHITECTURE.md, "Contracts": artifact files fixes the files):
 * examples as split counts, statistics in Pipewise's statistics MIME type (with an HTML table for
 * other viewers), schema and evaluation as tables, anomalies as a list, blessings as a verdict.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NotebookMime, type NotebookOutputData } from '../../protocol/notebook';
import { evaluationChartSpec } from '../../protocol/notebookCharts';
import type { NotebookArtifact, NotebookSession } from './notebookSession';
import { sqlString } from './notebookSession';
import { htmlTable, runQuery } from './notebookSql';

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function md(text: string): NotebookOutputData {
  return { items: [{ mime: NotebookMime.markdown, text }] };
}

export async function artifactOutputs(a: NotebookArtifact, session: NotebookSession): Promise<NotebookOutputData[]> {
  switch (a.type) {
    case 'Examples':
      return examplesOutputs(a, session);
    case 'ExampleStatistics':
      return statisticsOutputs(a);
    case 'Schema':
      return schemaOutputs(a);
    case 'ExampleAnomalies':
      return anomaliesOutputs(a);
    case 'ModelEvaluation':
      return evaluationOutputs(a);
    case 'ModelBlessing':
    case 'InfraBlessing': {
      const files = await fs.readdir(a.uri).catch(() => [] as string[]);
      const verdict = files.find((f) => /BLESSED$/.test(f));
      return [md(`\`${a.stage}.${a.output}\`: **${verdict ?? 'no verdict file'}**`)];
    }
    default:
      return [md(`\`${a.stage}.${a.output}\` (${a.type}): \`${a.uri}\``)];
  }
}

async function examplesOutputs(a: NotebookArtifact, session: NotebookSession): Promise<NotebookOutputData[]> {
  const entries = (await fs.readdir(a.uri).catch(() => [] as string[])).filter((e) => e.startsWith('Split-')).sort();
  if (!entries.length) return [md(`\`${a.stage}.${a.output}\`: \`${a.uri}\``)];
  const conn = await session.connection();
  const rows: Record<string, unknown>[] = [];
  for (const e of entries) {
    const file = path.join(a.uri, e, 'data.parquet');
    const r = await runQuery(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(file)})`).catch(() => undefined);
    rows.push({ split: e.slice('Split-'.length), rows: r?.rows[0]?.n ?? null, view: `${a.stage}_${a.output}_${e.slice('Split-'.length)}` });
  }
  const columns = [{ name: 'split' }, { name: 'rows', kind: 'number' as const }, { name: 'view' }];
  return [
    {
      items: [
        { mime: NotebookMime.html, text: htmlTable(columns, rows, `${a.stage}.${a.output}: query it in a SQL cell as ${a.stage}_${a.output} or per split`) },
        { mime: NotebookMime.json, json: rows },
      ],
    },
  ];
}

interface TfdvDataset {
  name?: string;
  numExamples?: string | number;
  features?: {
    name?: string;
    path?: { step?: string[] };
    type?: string;
    numStats?: { commonStats?: { numNonMissing?: string | number; numMissing?: string | number }; mean?: number; stdDev?: number; min?: number; median?: number; max?: number };
    stringStats?: { commonStats?: { numNonMissing?: string | number; numMissing?: string | number }; unique?: string | number; topValues?: { value?: string; frequency?: number }[] };
  }[];
}

async function statisticsOutputs(a: NotebookArtifact): Promise<NotebookOutputData[]> {
  const stats = (await readJson(path.join(a.uri, 'statistics.json'))) as { datasets?: TfdvDataset[] } | undefined;
  if (!stats?.datasets) return [md(`\`${a.stage}.${a.output}\`: no statistics.json in \`${a.uri}\``)];
  const rows: Record<string, unknown>[] = [];
  const fmt = (n: number | undefined): string => (n === undefined ? '' : Number.isInteger(n) ? String(n) : n.toPrecision(4));
  for (const d of stats.datasets) {
    for (const f of d.features ?? []) {
      const common = f.numStats?.commonStats ?? f.stringStats?.commonStats;
      rows.push({
        split: d.name ?? '',
        feature: f.name ?? f.path?.step?.join('.') ?? '',
        type: f.type ?? (f.numStats ? 'FLOAT' : 'STRING'),
        present: Number(common?.numNonMissing ?? 0),
        missing: Number(common?.numMissing ?? 0),
        summary: f.numStats
          ? `mean ${fmt(f.numStats.mean)}, sd ${fmt(f.numStats.stdDev)}, min ${fmt(f.numStats.min)}, median ${fmt(f.numStats.median)}, max ${fmt(f.numStats.max)}`
          : `${f.stringStats?.unique ?? '?'} unique; top: ${(f.stringStats?.topValues ?? []).slice(0, 3).map((t) => `${t.value} (${t.frequency})`).join(', ')}`,
      });
    }
  }
  const columns = ['split', 'feature', 'type', 'present', 'missing', 'summary'].map((name) => ({ name, kind: name === 'present' || name === 'missing' ? ('number' as const) : ('string' as const) }));
  return [
    {
      items: [
        { mime: NotebookMime.statistics, json: stats },
        { mime: NotebookMime.html, text: htmlTable(columns, rows, `${a.stage}.${a.output}`) },
      ],
    },
  ];
}

async function schemaOutputs(a: NotebookArtifact): Promise<NotebookOutputData[]> {
  const schema = (await readJson(path.join(a.uri, 'schema.json'))) as { feature?: Record<string, unknown>[] } | undefined;
  if (!schema?.feature) return [md(`\`${a.stage}.${a.output}\`: \`${a.uri}\``)];
  const rows = schema.feature.map((f) => {
    const domain = f.intDomain ?? f.floatDomain ?? f.stringDomain ?? f.domain;
    return { feature: String(f.name ?? ''), type: String(f.type ?? ''), presence: f.presence ? JSON.stringify(f.presence) : '', domain: domain ? JSON.stringify(domain).slice(0, 120) : '' };
  });
  return [
    {
      items: [
        { mime: NotebookMime.html, text: htmlTable(['feature', 'type', 'presence', 'domain'].map((name) => ({ name })), rows, `${a.stage}.${a.output}`) },
        { mime: NotebookMime.json, json: schema },
      ],
    },
  ];
}

async function anomaliesOutputs(a: NotebookArtifact): Promise<NotebookOutputData[]> {
  const anomalies = (await readJson(path.join(a.uri, 'anomalies.json'))) as Record<string, unknown> | undefined;
  if (!anomalies) return [md(`\`${a.stage}.${a.output}\`: no anomalies.json in \`${a.uri}\``)];
  const lists: [string, Record<string, { severity?: string; shortDescription?: string; description?: string; reason?: { type?: string; description?: string }[] }>][] = [];
  const top = anomalies.anomalyInfo as Record<string, never> | undefined;
  if (top) lists.push(['', top]);
  const splits = anomalies.splits as Record<string, { anomalyInfo?: Record<string, never> }> | undefined;
  if (splits) for (const [split, s] of Object.entries(splits)) if (s.anomalyInfo) lists.push([split, s.anomalyInfo]);
  const items: string[] = [];
  for (const [split, info] of lists) {
    for (const [feature, x] of Object.entries(info)) {
      const reasons = (x.reason ?? []).map((r) => r.description ?? r.type ?? '').filter(Boolean).join('; ');
      items.push(`- ${split ? `[${split}] ` : ''}**${feature}** (${x.severity ?? 'ERROR'}): ${x.shortDescription ?? x.description ?? ''}${reasons ? ` — ${reasons}` : ''}`);
    }
  }
  const text = items.length ? `\`${a.stage}.${a.output}\`: ${items.length} anomal${items.length === 1 ? 'y' : 'ies'}\n\n${items.join('\n')}` : `\`${a.stage}.${a.output}\`: no anomalies`;
  return [{ items: [{ mime: NotebookMime.markdown, text }, { mime: NotebookMime.json, json: anomalies }] }];
}

async function evaluationOutputs(a: NotebookArtifact): Promise<NotebookOutputData[]> {
  const m = (await readJson(path.join(a.uri, 'metrics.json'))) as { slices?: { slice?: Record<string, unknown>; metrics?: Record<string, number> }[]; blessed?: boolean } | undefined;
  if (!m?.slices) return [md(`\`${a.stage}.${a.output}\`: no metrics.json in \`${a.uri}\``)];
  const slices = m.slices.map((s) => ({
    slice: Object.entries(s.slice ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'overall',
    metrics: s.metrics ?? {},
  }));
  const names = [...new Set(slices.flatMap((s) => Object.keys(s.metrics)))];
  const rows = slices.map((s) => ({ slice: s.slice, ...Object.fromEntries(names.map((n) => [n, s.metrics[n] === undefined ? null : Number(s.metrics[n]?.toPrecision(4))])) }));
  const columns = [{ name: 'slice' }, ...names.map((name) => ({ name, kind: 'number' as const }))];
  const verdict = m.blessed === undefined ? '' : ` — ${m.blessed ? 'BLESSED' : 'NOT BLESSED'}`;
  const outputs: NotebookOutputData[] = [
    { items: [{ mime: NotebookMime.html, text: htmlTable(columns, rows, `${a.stage}.${a.output}${verdict}`) }, { mime: NotebookMime.json, json: m }] },
  ];
  const chart = evaluationChartSpec(slices);
  if (chart) outputs.push({ items: [{ mime: NotebookMime.vegaLite, json: chart }] });
  return outputs;
}
