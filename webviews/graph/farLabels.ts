/**
 * Which stage names to draw when the graph is zoomed out too far to read the nodes' own text: each
 * name at screen size, centred on its node, kept only when it is on screen and overlaps no name kept
 * before it (model order decides, so the first stages of a pipeline keep theirs). Pure; unit-tested.
 */
export interface FarLabelCandidate {
  readonly id: string;
  readonly text: string;
  /** Screen position of the node's centre. */
  readonly x: number;
  readonly y: number;
}

export interface FarLabel extends FarLabelCandidate {
  readonly width: number;
}

export function farLabels(
  candidates: readonly FarLabelCandidate[],
  screen: { readonly width: number; readonly height: number; readonly charWidth: number },
): FarLabel[] {
  const kept: FarLabel[] = [];
  const boxes: { x0: number; y0: number; x1: number; y1: number }[] = [];
  const lineHeight = 18;
  for (const c of candidates) {
    const text = c.text.length > 24 ? `${c.text.slice(0, 23)}…` : c.text;
    const width = text.length * screen.charWidth;
    const b = { x0: c.x - width / 2 - 4, y0: c.y - lineHeight / 2, x1: c.x + width / 2 + 4, y1: c.y + lineHeight / 2 };
    if (b.x1 < 0 || b.y1 < 0 || b.x0 > screen.width || b.y0 > screen.height) continue;
    if (boxes.some((o) => b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1)) continue;
    boxes.push(b);
    kept.push({ ...c, text, width });
  }
  return kept;
}
