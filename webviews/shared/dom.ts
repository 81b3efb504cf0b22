/** DOM helpers for every webview: elements without innerHTML (nothing from data is parsed as HTML), small SVG charts. */

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A tiny bar chart of counts (the mini histogram in a table row). */
export function sparkBars(counts: readonly number[], width = 96, height = 22, label = ''): SVGElement {
  const s = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'spark', role: 'img', 'aria-label': label });
  const max = Math.max(1, ...counts);
  const w = counts.length ? width / counts.length : width;
  counts.forEach((c, i) => {
    const bh = c > 0 ? Math.max(1, (c / max) * (height - 1)) : 0;
    s.append(svg('rect', { x: i * w + 0.5, y: height - bh, width: Math.max(1, w - 1), height: bh }));
  });
  return s;
}

/** A horizontal share bar (the missing column); `alert` draws it in the error colour. */
export function shareBar(share: number, alert: boolean, width = 60, height = 8): SVGElement {
  const s = svg('svg', { width, height, class: `share${alert ? ' alert' : ''}`, 'aria-hidden': 'true' });
  s.append(svg('rect', { class: 'track', x: 0, y: 0, width, height }));
  s.append(svg('rect', { class: 'fill', x: 0, y: 0, width: Math.max(share > 0 ? 1 : 0, share * width), height }));
  return s;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/**
 * A table row that opens like a button: click, Enter or Space calls `open`; ↑/↓ move the focus to
 * the row above or below. The row needs `tabindex="0"`.
 */
export function activatableRow(tr: HTMLTableRowElement, open: () => void): void {
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      ((e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null)?.focus();
    }
  });
}
