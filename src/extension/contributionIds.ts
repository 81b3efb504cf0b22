/**
 * The ids VS Code knows Pipewise's webview panels and notebooks by, in a module of their own: the
 * composition root (src/extension/features.ts) names them to load a feature when VS Code restores
 * one of its panels or opens a notebook, without loading the feature's code to learn them.
 */
export const GRAPH_VIEW_TYPE = 'pipewise.graph';
export const DATA_PANEL_VIEW_TYPE = 'pipewise.dataPanel';
export const EVALUATION_VIEW_TYPE = 'pipewise.evaluation';
export const EXPERIMENTS_VIEW_TYPE = 'pipewise.experiments';
export const MONITORING_VIEW_TYPE = 'pipewise.monitoring';
export const TRY_VIEW_TYPE = 'pipewise.tryModel';
/** Pipewise notebooks are Jupyter notebooks with Pipewise metadata, run by its controller. */
export const NOTEBOOK_TYPE = 'jupyter-notebook';
