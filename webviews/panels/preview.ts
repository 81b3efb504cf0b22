/** The data grid (virtual scrolling over pages fetched on demand) and the SQL box. */
import type { TopLevelSpec } from 'vega-lite';
import type { Cell, ColumnInfo, PreviewResult, QueryResult } from '../../src/protocol/data';
import { renderVegaLite } from '../shared/vega';
import { clear, h } from '../shared/dom';
import { getState, post, reportError, setState } from './host';

const ROW_HEIGHT = 24;
const PAGE = 200;
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/;
const TEMPORAL = /^(DATE|TIMESTAMP.*|TIME)$/;

function cellNode(v: Cell): Node {
  if (v === null) return h('span', { class: 'null' }, 'null');
  return document.createTextNode(typeof v === 'number' ? String(v) : String(v));
}

function headerCells(columns: readonly ColumnInfo[]): HTMLElement[] {
  return [h('th', { class: 'rownum', scope: 'col' }, '#'), ...columns.map((c) => h('th', { scope: 'col', class: NUMERIC.test(c.type) ? 'num' : '', title: `${c.name}: ${c.type}` }, h('span', { class: 'cname' }, c.name), h('span', { class: 'ctype' }, c.type)))];
}

export class PreviewView {
  private readonly viewport: HTMLElement;
  private readonly spacerTop: HTMLElement;
  private readonly spacerBottom: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly head: HTMLTableRowElement;
  private readonly status: HTMLElement;
  private readonly sqlResult: HTMLElement;
  private readonly editor: HTMLTextAreaElement;
  private columns: readonly ColumnInfo[] = [];
  private total = 0;
  private readonly pages = new Map<number, readonly (readonly Cell[])[]>();
  private readonly requested = new Set<number>();
  private frame = 0;

  constructor(app: HTMLElement) {
    const st = getState();
    this.status = h('span', { class: 'status', role: 'status' }, 'Loading rows…');
    this.head = h('tr');
    this.body = h('tbody');
    this.spacerTop = h('div', { class: 'spacer' });
    this.spacerBottom = h('div', { class: 'spacer' });
    this.viewport = h('div', { class: 'viewport', tabindex: 0, role: 'region', 'aria-label': 'Data rows (scroll with arrow keys and Page Up/Down)' }, this.spacerTop, h('table', { class: 'grid data' }, h('thead', {}, this.head), this.body), this.spacerBottom);
    this.viewport.addEventListener('scroll', () => this.schedule());
    this.viewport.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowDown' ? ROW_HEIGHT : e.key === 'ArrowUp' ? -ROW_HEIGHT : e.key === 'PageDown' ? this.viewport.clientHeight : e.key === 'PageUp' ? -this.viewport.clientHeight : 0;
      if (step) {
        e.preventDefault();
        this.viewport.scrollTop += step;
      }
    });
    this.editor = h('textarea', { class: 'sql', rows: 4, spellcheck: 'false', 'aria-label': 'SQL query over the view data (Ctrl+Enter runs it)' }) as HTMLTextAreaElement;
    this.editor.value = st.sql ?? 'SELECT * FROM data LIMIT 100';
    const run = h('button', { type: 'button' }, 'Run (Ctrl+Enter)');
    const go = () => {
      setState({ sql: this.editor.value });
      clear(this.sqlResult);
      this.sqlResult.append(h('p', { class: 'hint' }, 'Running…'));
      post({ type: 'query', sql: this.editor.value });
    };
    run.addEventListener('click', go);
    this.editor.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        go();
      }
    });
    this.sqlResult = h('div', { class: 'sqlresult', 'aria-live': 'polite' });
    app.append(
      h(
        'div',
        { class: 'preview' },
        h('header', { class: 'toolbar' }, h('h1', {}, st.title)),
        h('div', { class: 'statusline' }, this.status),
        this.viewport,
        h('section', { class: 'sqlbox', 'aria-label': 'SQL' }, h('h2', {}, 'SQL ', h('span', { class: 'hint' }, '— the file is the view ', h('code', {}, 'data'))), this.editor, h('div', { class: 'toolbar' }, run), this.sqlResult),
      ),
    );
    this.request(0);
  }

  private request(page: number): void {
    if (this.requested.has(page)) return;
    this.requested.add(page);
    post({ type: 'preview', offset: page * PAGE, limit: PAGE });
  }

  setPage(r: PreviewResult): void {
    const first = this.columns.length === 0;
    this.columns = r.columns;
    this.total = r.totalRows;
    this.pages.set(Math.floor(r.offset / PAGE), r.rows);
    if (first) {
      clear(this.head);
      this.head.append(...headerCells(r.columns));
      this.status.textContent = `${r.totalRows.toLocaleString('en')} rows · ${r.columns.length} columns`;
    }
    this.draw();
    post({
      type: 'rendered',
      digest: { kind: 'preview', rows: r.rows.slice(0, 5).map((row, i) => ({ feature: String(r.offset + i), cells: Object.fromEntries(r.columns.map((c, j) => [c.name, row[j] ?? null])) })), exact: true },
    });
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draws only the rows in view (plus a margin); spacers stand in for the rest. */
  private draw(): void {
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 400;
    const from = Math.max(0, Math.floor(top / ROW_HEIGHT) - 20);
    const to = Math.min(this.total, Math.ceil((top + height) / ROW_HEIGHT) + 20);
    clear(this.body);
    this.spacerTop.style.height = `${from * ROW_HEIGHT}px`;
    this.spacerBottom.style.height = `${Math.max(0, (this.total - to) * ROW_HEIGHT)}px`;
    for (let i = from; i < to; i++) {
      const page = Math.floor(i / PAGE);
      const rows = this.pages.get(page);
      const tr = h('tr', {}, h('td', { class: 'rownum' }, String(i + 1)));
      if (!rows) {
        this.request(page);
        tr.append(h('td', { class: 'hint', colspan: this.columns.length }, '…'));
      } else {
        const row = rows[i - page * PAGE] ?? [];
        this.columns.forEach((c, j) => tr.append(h('td', { class: NUMERIC.test(c.type) ? 'num' : '' }, cellNode(row[j] ?? null))));
      }
      this.body.append(tr);
    }
  }

  setQuery(sql: string, r: QueryResult): void {
    clear(this.sqlResult);
    if (!r.ok) {
      const box = h('div', { class: 'sqlerror', role: 'alert' }, h('strong', {}, r.position ? `Error at line ${r.position.line}, column ${r.position.column}` : 'Error'), h('pre', {}, r.message));
      if (r.position) {
        const line = sql.split('\n')[r.position.line - 1] ?? '';
        box.append(h('pre', { class: 'caret' }, `${line}\n${' '.repeat(r.position.column - 1)}^`));
        this.editor.focus();
        this.editor.setSelectionRange(r.position.offset, Math.min(sql.length, r.position.offset + 1));
      }
      this.sqlResult.append(box);
      post({ type: 'rendered', digest: { kind: 'preview', rows: [], anomalies: [r.message], exact: false } });
      return;
    }
    this.sqlResult.append(h('p', { class: 'hint' }, `${r.rows.length.toLocaleString('en')}${r.truncated ? '+' : ''} rows · ${r.elapsedMs} ms${r.truncated ? ' (first rows shown)' : ''}`));
    const chart = chartFor(r.columns, r.rows);
    if (chart) {
      const box = h('div', { class: 'chart' });
      this.sqlResult.append(box);
      renderVegaLite(box, chart).catch(reportError);
    }
    const body = h('tbody');
    r.rows.slice(0, 500).forEach((row, i) => body.append(h('tr', {}, h('td', { class: 'rownum' }, String(i + 1)), ...r.columns.map((c, j) => h('td', { class: NUMERIC.test(c.type) ? 'num' : '' }, cellNode(row[j] ?? null))))));
    this.sqlResult.append(h('div', { class: 'tablewrap' }, h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ...headerCells(r.columns))), body)));
    post({ type: 'rendered', digest: { kind: 'preview', rows: r.rows.slice(0, 20).map((row, i) => ({ feature: String(i), cells: Object.fromEntries(r.columns.map((c, j) => [c.name, row[j] ?? null])) })), exact: true } });
  }
}

/** A chart where the result's shape suggests one: a label or time and a number, or two numbers. */
export function chartFor(columns: readonly ColumnInfo[], rows: readonly (readonly Cell[])[]): TopLevelSpec | undefined {
  if (columns.length !== 2 || rows.length < 2 || rows.length > 5000) return undefined;
  const [a, b] = columns as [ColumnInfo, ColumnInfo];
  if (!NUMERIC.test(b.type)) return undefined;
  const values = rows.map((r) => ({ x: r[0], y: r[1] }));
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 'container', height: 180, data: { values } } as const;
  if (TEMPORAL.test(a.type)) return { ...base, mark: 'line', encoding: { x: { field: 'x', type: 'temporal', title: a.name }, y: { field: 'y', type: 'quantitative', title: b.name } } } as TopLevelSpec;
  if (NUMERIC.test(a.type)) return { ...base, mark: { type: 'point', filled: true, size: 12 }, encoding: { x: { field: 'x', type: 'quantitative', title: a.name }, y: { field: 'y', type: 'quantitative', title: b.name } } } as TopLevelSpec;
  if (rows.length > 60) return undefined;
  return { ...base, height: Math.max(80, rows.length * 16), mark: 'bar', encoding: { y: { field: 'x', type: 'nominal', sort: null, title: a.name }, x: { field: 'y', type: 'quantitative', title: b.name } } } as TopLevelSpec;
}
