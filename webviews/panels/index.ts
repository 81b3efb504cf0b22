/**
 * The data panels' webview: one bundle, routed by the panel's kind. It announces `ready` before
 * the extension sends anything, and keeps its state with VS Code so a reload restores it.
 */
import type { ToWebview } from '../../src/protocol/data';
import { statisticsFromWire } from '../../src/protocol/statisticsWire';
import { CompareView } from './compare';
import { h } from '../shared/dom';
import { getState, onMessage, ready, reportError, setState } from './host';
import { PreviewView } from './preview';
import { SchemaView } from './schema';
import { StatisticsView } from './statistics';

const app = document.getElementById('app') ?? document.body;
const state = getState();
setState(state);

const errorBox = h('div', { class: 'panelerror', role: 'alert', hidden: true });
app.append(errorBox);

const stats = state.kind === 'statistics' ? new StatisticsView(app) : undefined;
const compare = state.kind === 'compare' ? new CompareView(app) : undefined;
const schema = state.kind === 'schema' ? new SchemaView(app) : undefined;
const preview = state.kind === 'preview' ? new PreviewView(app) : undefined;

onMessage((m: ToWebview) => {
  try {
    switch (m.type) {
      case 'init':
        break;
      case 'state':
        setState(m.patch);
        break;
      case 'progress':
        stats?.setProgress(m.phase, m.message);
        compare?.setStatus(m.message);
        schema?.setStatus(m.message);
        if (m.phase !== 'done') errorBox.hidden = true;
        break;
      case 'statistics':
        errorBox.hidden = true;
        stats?.setStatistics({ ...m.result, statistics: statisticsFromWire(m.result.statistics) }, m.partial);
        break;
      case 'detail':
        stats?.setDetail(m.detail);
        break;
      case 'compare':
        compare?.setResult({ ...m.result, left: statisticsFromWire(m.result.left), right: statisticsFromWire(m.result.right) }, m.leftLabel, m.rightLabel);
        break;
      case 'schema':
        schema?.set(m.schema, m.path, m.anomalies, m.fixes);
        break;
      case 'preview':
        preview?.setPage(m.result);
        break;
      case 'query':
        preview?.setQuery(m.sql, m.result);
        break;
      case 'error':
        errorBox.textContent = m.message;
        errorBox.hidden = false;
        stats?.setProgress('error', 'Failed.');
        break;
    }
  } catch (e) {
    reportError(e);
  }
});

ready();
