/**
 * Generated benchmark tables, fast and deterministic. Every value is derived from DuckDB's
 * `hash(row, stream)` (64 bits; the top 53 bits make a uniform double), so DuckDB computes rows in
 * parallel and the same DuckDB version gives the same file on every machine. (`random()` after
 * `setseed` is also reproducible, but it makes DuckDB draw every value in one thread: the
 * 100M-row file took over 40 minutes on two cores.)
 *
 * Used by the bench (bench/scale.ts, bench/statistics.ts) and by tests that need a large file
 * (generated into a cache folder outside git). No engine code here: the caller brings its DuckDB
 * (the host tests run in the extension host, with their own).
 */
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import path from 'node:path';

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Uniform in [0, 1) from stream `k` of row `i` (53 bits of the row's hash). */
export function uniform(k: number): string {
  return `((hash(i * 256 + ${k}) >> 11)::DOUBLE / 9007199254740992.0)`;
}

/** Uniform in (0, 1]: safe under ln(). */
function uniformOpen(k: number): string {
  return `(((hash(i * 256 + ${k}) >> 11) + 1)::DOUBLE / 9007199254740992.0)`;
}

/** Standard normal (Box–Muller) from streams k and k+1. */
function normal(k: number): string {
  return `(sqrt(-2 * ln(${uniformOpen(k)})) * cos(2 * pi() * ${uniform(k + 1)}))`;
}

/**
 * The 100M-row scale table's columns: 6 doubles (uniform, scaled uniform, normal, heavy-tailed,
 * with 2% NULL gaps, centred uniform), 2 integers (100 and 1,000,000 values), 2 strings (5 and
 * ~1000 values, the latter skewed).
 */
export function scaleColumns(): string[] {
  return [
    `${uniform(1)} AS u0`,
    `${uniform(2)} * 1000 AS u1`,
    `${normal(3)} AS n0`,
    `exp(4 * ${uniform(5)} * ${uniform(6)}) AS h0`,
    `CASE WHEN ${uniform(7)} < 0.02 THEN NULL ELSE ${uniform(8)} END AS g0`,
    `${uniform(9)} - 0.5 AS u2`,
    `CAST(floor(${uniform(10)} * 100) AS BIGINT) AS i0`,
    `CAST(floor(${uniform(11)} * 1000000) AS BIGINT) AS i1`,
    `'k' || CAST(floor(${uniform(12)} * 5) AS BIGINT) AS s0`,
    `'v' || CAST(floor(${uniform(13)} * ${uniform(14)} * 1000) AS BIGINT) AS s1`,
  ];
}

/** The 10M × 20 table's columns: 8 doubles (normal with 1% NULL, scaled uniform), 6 integers, 6 strings of 2 … 100,000 values. */
export function wideColumns(): string[] {
  const cols: string[] = [];
  let k = 100;
  for (let d = 0; d < 8; d++) {
    if (d % 2) {
      cols.push(`${uniform(k)} * ${10 ** (d % 4)} AS d${d}`);
      k += 1;
    } else {
      cols.push(`CASE WHEN ${uniform(k)} < 0.01 THEN NULL ELSE ${normal(k + 1)} END AS d${d}`);
      k += 3;
    }
  }
  for (let j = 0; j < 6; j++) cols.push(`CAST(floor(${uniform(k++)} * ${10 ** (j + 1)}) AS BIGINT) AS i${j}`);
  [2, 7, 50, 300, 5000, 100000].forEach((c, j) => cols.push(`'v' || CAST(floor(${uniform(k++)} * ${uniform(k++)} * ${c}) AS BIGINT) AS s${j}`));
  return cols;
}

/** The COPY statement writing `rows` rows of `columns` to a Parquet file (zstd, 1M-row groups). */
export function generateSql(columns: readonly string[], rows: number, file: string): string {
  return `COPY (SELECT ${columns.join(', ')} FROM range(${rows}) t(i)) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)`;
}

/**
 * `file`, generated once (written to a temporary name and renamed, so a half-written file is never
 * taken for a whole one). Returns whether it was generated now.
 */
export async function ensureGenerated(file: string, columns: readonly string[], rows: number, run: (sql: string) => Promise<unknown>): Promise<boolean> {
  if (existsSync(file)) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await run(generateSql(columns, rows, tmp));
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return true;
}
