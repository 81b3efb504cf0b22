/**
 * Is a webview usable in a narrow editor column? Sizes the column to a width, then measures the
 * webview's own DOM: the page does not scroll sideways, anything wider than the column sits in a box
 * that scrolls horizontally and itself fits, and every table's header is still in sight (not covered)
 * after its rows were scrolled past it.
 */
import type { Frame } from 'playwright-core';
import { waitFor } from './codeServer';
import type { Workbench } from './workbench';

export interface Usability {
  /** The webview's width and height (its viewport). */
  readonly width: number;
  readonly height: number;
  /** The page's own scroll width: more than `width` means the page scrolls sideways. */
  readonly pageScrollWidth: number;
  /** Outermost elements reaching past the column's edges without a horizontal scroller around them. */
  readonly cut: readonly string[];
  /** Boxes that scroll horizontally and hold wider content. */
  readonly scrollers: readonly string[];
  /** Per table with a header: whether its header cells are still the topmost element after scrolling its rows. */
  readonly headers: readonly { readonly table: string; readonly rows: number; readonly scrolled: number; readonly visible: boolean }[];
  /** Text cut short (overflow hidden) with no tooltip on it or its parent to read it whole. */
  readonly clipped: readonly string[];
}

/**
 * Measured in the page; a string, not a function, so the test runner's transpiler adds no helpers
 * the page lacks. Scroll positions are restored afterwards.
 */
const MEASURE = `(() => {
  const root = document.documentElement;
  const vw = root.clientWidth;
  const vh = root.clientHeight;
  const css = (el) => getComputedStyle(el);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + (el.dataset && el.dataset.feature ? '[' + el.dataset.feature + ']' : '');
  const path = (el) => { const p = []; for (let e = el; e && e !== document.body && p.length < 4; e = e.parentElement) p.unshift(name(e)); return p.join(' > '); };
  // What cuts an element off on the right or left: the nearest ancestor that clips (overflow other
  // than visible; an inner <svg> clips by default), else the webview's own edges. A box that scrolls
  // horizontally does not cut anything off: its content is reached by scrolling (the box itself is
  // checked like any element).
  const clipperOf = (el) => {
    for (let a = el.parentElement; a && a !== document.body && a !== root; a = a.parentElement) {
      const o = css(a).overflowX;
      if (o !== 'visible') return a;
    }
    return null;
  };
  const cut = [];
  const scrollers = new Set();
  const bad = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || css(el).visibility === 'hidden') continue;
    const clip = clipperOf(el);
    if (clip && /^(auto|scroll)$/.test(css(clip).overflowX)) { if (clip.scrollWidth > clip.clientWidth + 1) scrollers.add(path(clip)); continue; }
    const b = clip ? clip.getBoundingClientRect() : { left: 0, right: vw };
    if (r.left >= b.left - 1 && r.right <= b.right + 1) continue;
    let reported = false;
    for (let a = el.parentElement; a; a = a.parentElement) if (bad.has(a)) { reported = true; break; }
    bad.add(el);
    if (!reported) cut.push(path(el) + ' [' + Math.round(r.left) + '..' + Math.round(r.right) + (clip ? ' in ' + path(clip) + ' ' + Math.round(b.left) + '..' + Math.round(b.right) : ' of ' + vw) + ']');
  }
  const clipped = [];
  for (const el of document.body.querySelectorAll('*')) {
    const s = css(el);
    if (!/^(hidden|clip)$/.test(s.overflowX) || el.closest('svg') || !el.textContent.trim()) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    if (el.title || (el.parentElement && el.parentElement.title)) continue;
    clipped.push(path(el) + ': ' + el.textContent.trim().slice(0, 40));
  }
  const scrollerY = (el) => { for (let a = el.parentElement; a && a !== document.body && a !== root; a = a.parentElement) { if (/^(auto|scroll)$/.test(css(a).overflowY) && a.scrollHeight > a.clientHeight + 1) return a; } return document.scrollingElement || root; };
  const headers = [];
  for (const table of document.querySelectorAll('table')) {
    const th = table.querySelector('thead th');
    const rows = table.querySelectorAll('tbody tr');
    // A short table is read at a glance; from ten rows on, its header must stay in sight.
    if (!th || rows.length < 10 || table.getBoundingClientRect().height === 0) continue;
    const sc = scrollerY(table);
    const before = sc.scrollTop;
    // Scroll so that the middle row comes to the top.
    const row = rows[Math.floor(rows.length / 2)];
    const top = sc === document.scrollingElement || sc === root ? 0 : sc.getBoundingClientRect().top;
    sc.scrollTop = before + (row.getBoundingClientRect().top - top);
    const scrolled = sc.scrollTop - before;
    const r = th.getBoundingClientRect();
    const x = Math.min(Math.max(r.left + r.width / 2, 1), vw - 1);
    const y = r.top + r.height / 2;
    const hit = y >= 0 && y <= vh ? document.elementFromPoint(x, y) : null;
    headers.push({ table: path(table), rows: rows.length, scrolled, visible: !!hit && (hit === th || th.contains(hit) || hit.closest('thead') === th.closest('thead')) });
    sc.scrollTop = before;
  }
  return { width: vw, height: vh, pageScrollWidth: root.scrollWidth, cut: cut.slice(0, 20), scrollers: [...scrollers], headers, clipped: clipped.slice(0, 20) };
})()`;

export async function usability(frame: Frame): Promise<Usability> {
  return (await frame.evaluate(MEASURE)) as Usability;
}

/** The webview's inner width (the editor column it is shown in). */
async function innerWidth(frame: Frame): Promise<number> {
  return (await frame.evaluate('window.innerWidth')) as number;
}

/**
 * Makes the editor column holding `frame` `width` px wide by narrowing the browser window (the side
 * bar keeps its width; editor columns share the change in proportion, found by the secant method).
 */
export async function narrowTo(wb: Workbench, frame: Frame, width = 400): Promise<void> {
  const settled = () =>
    waitFor('the webview to settle at one width', async () => {
      const a = await innerWidth(frame);
      await new Promise((r) => setTimeout(r, 300));
      return a === (await innerWidth(frame)) && a > 0 ? a : undefined;
    }, 20_000, 100);
  let slope = 1;
  let last: { vp: number; w: number } | undefined;
  for (let i = 0; i < 8; i++) {
    const w = await settled();
    const vp = wb.page.viewportSize()!;
    if (last && vp.width !== last.vp && (w - last.w) / (vp.width - last.vp) > 0.05) slope = (w - last.w) / (vp.width - last.vp);
    if (Math.abs(w - width) <= 1) return;
    last = { vp: vp.width, w };
    await wb.page.setViewportSize({ width: Math.round(vp.width - (w - width) / slope), height: vp.height });
  }
  throw new Error(`could not size the webview to ${width} px (it is ${await innerWidth(frame)} px)`);
}

/** Back to the default window (1400×900). */
export async function restoreWidth(wb: Workbench): Promise<void> {
  await wb.page.setViewportSize({ width: 1400, height: 900 });
}

/** A readable account of what is wrong, for assertion messages. */
export function problems(u: Usability): string[] {
  const out: string[] = [];
  if (u.pageScrollWidth > u.width + 1) out.push(`the page scrolls sideways (${u.pageScrollWidth} px in ${u.width})`);
  for (const c of u.cut) out.push(`cut off: ${c}`);
  for (const c of u.clipped) out.push(`clipped without a tooltip: ${c}`);
  for (const h of u.headers) if (!h.visible) out.push(`header out of sight after scrolling ${h.scrolled} px: ${h.table} (${h.rows} rows)`);
  return out;
}
