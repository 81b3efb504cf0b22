/**
 * The background worker: the only process that loads DuckDB and TensorFlow.js. It answers the
 * requests of `src/protocol/` over Node IPC. Each feature area registers its handlers here.
 */
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, Shutdown } from '../protocol/worker';
import { loadedBackendLabel } from '../engine/tf/backendState';
import { registerRunHandlers } from './handlers/runs';
import { registerNotebookHandlers } from './handlers/notebook';
import { registerDataHandlers } from './handlers/data';
import { registerExportHandlers } from './handlers/export';
import { registerMonitoringHandlers } from './handlers/monitoring';
import { registerStoreHandlers } from './handlers/store';
import { registerReportHandlers } from './handlers/report';
import { reportRunsTo } from './handlers/runWatch';
import { registerExperimentsHandlers } from './handlers/experiments';

if (!process.send) {
  process.stderr.write('The Pipewise worker must be started with an IPC channel (child_process.fork).\n');
  process.exit(2);
}

const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));

connection.onRequest(Initialize, () => ({ pid: process.pid, backend: loadedBackendLabel(), versions: { node: process.versions.node } }));
connection.onRequest(Shutdown, () => {
  setImmediate(() => process.exit(0));
});

reportRunsTo(connection);
registerRunHandlers(connection);
registerNotebookHandlers(connection);
registerDataHandlers(connection);
registerExportHandlers(connection);
registerMonitoringHandlers(connection);
registerStoreHandlers(connection);
registerReportHandlers(connection);
registerExperimentsHandlers(connection);

// The parent went away: nothing to serve.
process.on('disconnect', () => process.exit(0));

connection.listen();
