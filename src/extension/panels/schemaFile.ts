/**
 * Schema files (TFMD `Schema` in its JSON mapping, as schema.json or schema.yaml) read, changed by
 * quick fixes and written back — pure functions, so they are unit-tested without VS Code and the
 * panel applies their result as one undoable WorkspaceEdit.
 */
import YAML from 'yaml';
import {
  featureName,
  num,
  type Anomalies,
  type DatasetFeatureStatistics,
  type FeatureNameStatistics,
  type QuickFix,
  type QuickFixOffer,
  type Schema,
  type SchemaFeature,
} from '../../protocol/data';
import { errorMessage } from '../../protocol/errors';

export type SchemaFormat = 'json' | 'yaml';

export function schemaFormatOf(path: string): SchemaFormat {
  return /\.ya?ml$/i.test(path) ? 'yaml' : 'json';
}

/** Parses a schema file's text; errors name the file and, for JSON/YAML syntax, the position. */
export function parseSchema(text: string, file: string): Schema {
  let value: unknown;
  if (schemaFormatOf(file) === 'yaml') {
    const doc = YAML.parseDocument(text);
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw new Error(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${err.message.split('\n')[0]}`);
    }
    value = doc.toJS();
  } else {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}: ${errorMessage(e)}`);
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: a schema must be an object with a "feature" list`);
  const schema = value as Schema;
  if (schema.feature !== undefined && !Array.isArray(schema.feature)) throw new Error(`${file}: "feature" must be a list`);
  return schema;
}

export function serializeSchema(schema: Schema, format: SchemaFormat): string {
  return format === 'yaml' ? YAML.stringify(schema) : `${JSON.stringify(schema, null, 2)}\n`;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** The schema with `fix` applied (a new object; the input is not changed). */
export function applyQuickFix(schema: Schema, fix: QuickFix): Schema {
  const out = clone(schema);
  if (!Array.isArray(out.feature)) out.feature = [];
  let feature: SchemaFeature | undefined = out.feature.find((x) => x.name === fix.feature);
  if (!feature) {
    feature = { name: fix.feature, type: 'TYPE_UNKNOWN' };
    out.feature.push(feature);
  }
  switch (fix.kind) {
    case 'widenRange': {
      if (feature.intDomain || (feature.type === 'INT' && !feature.floatDomain)) {
        const d = (feature.intDomain ??= {});
        const lo = num(d.min);
        const hi = num(d.max);
        d.min = Math.floor(Math.min(lo ?? fix.min, fix.min));
        d.max = Math.ceil(Math.max(hi ?? fix.max, fix.max));
      } else {
        const d = (feature.floatDomain ??= {});
        d.min = Math.min(d.min ?? fix.min, fix.min);
        d.max = Math.max(d.max ?? fix.max, fix.max);
      }
      break;
    }
    case 'addDomainValues': {
      // A named domain lives at the schema's top level and may be shared: add there.
      const named = feature.domain ? out.stringDomain?.find((d) => d.name === feature.domain) : undefined;
      const d = named ?? (feature.stringDomain ??= { value: [] });
      const values = (d.value ??= []);
      for (const v of fix.values) if (!values.includes(v)) values.push(v);
      break;
    }
    case 'markOptional': {
      feature.presence = { ...(feature.presence ?? {}), minFraction: 0 };
      delete feature.presence.minCount;
      break;
    }
    case 'setDriftThreshold': {
      const c = (feature.driftComparator ??= {});
      if (fix.measure === 'L_infty') c.infinityNorm = { threshold: fix.threshold };
      else c.jensenShannonDivergence = { threshold: fix.threshold };
      break;
    }
    case 'setField': {
      const v = fix.value.trim();
      if (fix.field === 'type') {
        if (!['INT', 'FLOAT', 'BYTES', 'STRUCT'].includes(v)) throw new Error(`type must be INT, FLOAT, BYTES or STRUCT, not ${JSON.stringify(v)}`);
        feature.type = v as SchemaFeature['type'];
      } else {
        const n = Number(v);
        if (v === '' || !Number.isFinite(n)) throw new Error(`${fix.field} of ${fix.feature} must be a number, not ${JSON.stringify(fix.value)}`);
        if (fix.field === 'minFraction') {
          if (n < 0 || n > 1) throw new Error(`minFraction must lie in [0, 1], not ${n}`);
          feature.presence = { ...(feature.presence ?? {}), minFraction: n };
        } else {
          const d = feature.intDomain ?? (feature.type === 'INT' ? (feature.intDomain = {}) : (feature.floatDomain ??= {}));
          d[fix.field] = n;
        }
      }
      break;
    }
  }
  return out;
}

function statsOf(stats: DatasetFeatureStatistics | undefined, name: string): FeatureNameStatistics | undefined {
  return stats?.features?.find((f) => featureName(f) === name);
}

/** A number printed with at most 4 significant digits past what is needed. */
function round(n: number): number {
  return Number(n.toPrecision(4));
}

/**
 * The quick fixes offered for each anomalous feature, from TFDV's reason types and the statistics
 * that raised them (the values outside the domain, the observed range, the measured distance).
 */
export function quickFixesFor(anomalies: Anomalies | undefined, schema: Schema, stats: DatasetFeatureStatistics | undefined): Record<string, QuickFixOffer[]> {
  const out: Record<string, QuickFixOffer[]> = {};
  for (const [feature, info] of Object.entries(anomalies?.anomalyInfo ?? {})) {
    const offers: QuickFixOffer[] = [];
    const st = statsOf(stats, feature);
    const sf = schema.feature?.find((f) => f.name === feature);
    for (const r of info.reason ?? []) {
      const type = r.type ?? '';
      const text = r.description ?? '';
      if (/UNEXPECTED_STRING_VALUES|STRING_DOMAIN|ENUM/.test(type)) {
        const domain = sf?.domain ? schema.stringDomain?.find((d) => d.name === sf.domain)?.value : sf?.stringDomain?.value;
        const known = new Set(domain ?? []);
        const values = (st?.stringStats?.topValues ?? []).map((v) => v.value).filter((v) => !known.has(v));
        if (values.length) offers.push({ title: `Add ${values.length === 1 ? JSON.stringify(values[0]) : `${values.length} values`} to the domain`, fix: { kind: 'addDomainValues', feature, values } });
      } else if (/(SMALL|BIG)_(INT|FLOAT)|OUT_OF_RANGE|RANGE/.test(type)) {
        const min = st?.numStats?.min;
        const max = st?.numStats?.max;
        if (min !== undefined && max !== undefined) offers.push({ title: `Widen the range to [${round(min)}, ${round(max)}]`, fix: { kind: 'widenRange', feature, min, max } });
      } else if (/LOW_FRACTION_PRESENT|LOW_NUMBER_PRESENT|MISSING/.test(type) && !/SCHEMA_MISSING_COLUMN/.test(type)) {
        offers.push({ title: 'Mark the feature optional', fix: { kind: 'markOptional', feature } });
      } else if (/L_INFTY|JENSEN_SHANNON|COMPARATOR|DRIFT|SKEW/.test(type)) {
        const measure = /JENSEN_SHANNON/.test(type) ? 'JS' : 'L_infty';
        const m = /([0-9]*\.?[0-9]+(?:e-?\d+)?)\s*\(up to six significant digits\)|distance[^0-9]*([0-9.]+)|divergence[^0-9]*([0-9.]+)/i.exec(text);
        const measured = m ? Number(m[1] ?? m[2] ?? m[3]) : NaN;
        const threshold = Number.isFinite(measured) ? Math.min(1, round(measured * 1.05 + 1e-4)) : 1;
        offers.push({ title: `Set the drift threshold to ${threshold}`, fix: { kind: 'setDriftThreshold', feature, threshold, measure } });
      }
    }
    // Two reasons (too small and too large) may ask for the same fix: offer it once.
    const unique = offers.filter((o, i) => offers.findIndex((x) => JSON.stringify(x.fix) === JSON.stringify(o.fix)) === i);
    if (unique.length) out[feature] = unique;
  }
  return out;
}
