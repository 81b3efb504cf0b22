/**
 * The graph model → ELK's input: node sizes by kind, a left-to-right layered layout, model order
 * kept so that small edits do not reshuffle the picture. Pure (no DOM); unit-tested.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { GraphModel, GraphNodeKind } from '../../src/protocol/graph';

export const NODE_SIZE: Readonly<Record<GraphNodeKind, { readonly width: number; readonly height: number }>> = {
  stage: { width: 156, height: 56 },
  artifact: { width: 108, height: 26 },
  missing: { width: 156, height: 56 },
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

export function layoutInput(model: GraphModel): ElkNode & { edges: ElkExtendedEdge[] } {
  const ids = new Set(model.nodes.map((n) => n.id));
  return {
    id: 'root',
    layoutOptions: { ...LAYOUT_OPTIONS },
    children: model.nodes.map((n) => ({ id: n.id, ...NODE_SIZE[n.kind] })),
    // An edge to a node that is not drawn would make ELK throw: drop it rather than lose the picture.
    edges: model.edges.filter((e) => ids.has(e.source) && ids.has(e.target) && e.source !== e.target).map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
}

/** Changes only when the layout would: the nodes (and their kinds) and the edges. */
export function layoutSignature(model: GraphModel): string {
  return `${model.nodes.map((n) => `${n.kind}:${n.id}`).join('|')}#${model.edges.map((e) => `${e.source}>${e.target}`).join('|')}`;
}
