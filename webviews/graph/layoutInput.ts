/**
 * The graph model → ELK's input: node sizes by kind, a layered layout left to right (wide panels)
 * or top to bottom (tall ones, where artifact nodes become compact pills sized to their label),
 * model order kept so that small edits do not reshuffle the picture. Pure (no DOM); unit-tested.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { GraphLayoutSetting, GraphModel, GraphNode, GraphNodeKind } from '../../src/protocol/graph';

export type LayoutDirection = 'RIGHT' | 'DOWN';

export const NODE_SIZE: Readonly<Record<GraphNodeKind, { readonly width: number; readonly height: number }>> = {
  stage: { width: 156, height: 56 },
  artifact: { width: 108, height: 26 },
  missing: { width: 156, height: 56 },
};

/** Top to bottom: stages a little lower, artifacts as 18 px pills as wide as their name. */
export const COMPACT_SIZE: Readonly<Record<GraphNodeKind, { readonly width: number; readonly height: number }>> = {
  stage: { width: 150, height: 48 },
  artifact: { width: 150, height: 18 },
  missing: { width: 150, height: 48 },
};

export const LAYOUT_OPTIONS: Readonly<Record<string, string>> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '24',
  'elk.spacing.nodeNode': '14',
  'elk.spacing.edgeNode': '10',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.padding': '[top=20,left=20,bottom=20,right=20]',
};

/** What changes for a top-to-bottom layout: tighter layers, so a pipeline fits a tall narrow column. */
const DOWN_OPTIONS: Readonly<Record<string, string>> = {
  'elk.direction': 'DOWN',
  'elk.layered.spacing.nodeNodeBetweenLayers': '10',
  'elk.spacing.nodeNode': '12',
  'elk.spacing.edgeNode': '8',
  'elk.padding': '[top=12,left=12,bottom=12,right=12]',
};

/** The direction for a panel of this size: the setting, or (auto) top to bottom when taller than wide. */
export function layoutDirection(setting: GraphLayoutSetting | undefined, width: number, height: number): LayoutDirection {
  if (setting === 'leftToRight') return 'RIGHT';
  if (setting === 'topToBottom') return 'DOWN';
  return height > width ? 'DOWN' : 'RIGHT';
}

/** Approximate width of an artifact's name at 11 px, for the compact pill (icon + text + padding). */
export function nodeSize(n: Pick<GraphNode, 'kind' | 'label'>, direction: LayoutDirection): { width: number; height: number } {
  if (direction === 'RIGHT') return { ...NODE_SIZE[n.kind] };
  const size = COMPACT_SIZE[n.kind];
  if (n.kind !== 'artifact') return { ...size };
  return { width: Math.min(size.width, Math.round(30 + n.label.length * 6.2)), height: size.height };
}

export function layoutInput(model: GraphModel, direction: LayoutDirection = 'RIGHT'): ElkNode & { edges: ElkExtendedEdge[] } {
  const ids = new Set(model.nodes.map((n) => n.id));
  return {
    id: 'root',
    layoutOptions: { ...LAYOUT_OPTIONS, ...(direction === 'DOWN' ? DOWN_OPTIONS : {}) },
    children: model.nodes.map((n) => ({ id: n.id, ...nodeSize(n, direction) })),
    // An edge to a node that is not drawn would make ELK throw: drop it rather than lose the picture.
    edges: model.edges.filter((e) => ids.has(e.source) && ids.has(e.target) && e.source !== e.target).map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
}

/** Changes only when the layout would: the direction, the nodes (and their kinds) and the edges. */
export function layoutSignature(model: GraphModel, direction: LayoutDirection = 'RIGHT'): string {
  return `${direction}#${model.nodes.map((n) => `${n.kind}:${n.id}`).join('|')}#${model.edges.map((e) => `${e.source}>${e.target}`).join('|')}`;
}
