/**
 * Worker handler for exports: `ExportKfp` writes the Kubeflow Pipelines YAML, the Dockerfile and
 * .dockerignore, and the CLI build context (the bundled `cli.js` beside this worker bundle in out/).
 */
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { PipewiseError } from '../../core/errors';
import { exportKfp } from '../../engine/export/kfp/exportKfp';
import { SpecError } from '../../engine/orchestrator';
import { ExportKfp } from '../../protocol/export';
import { dependencies, devDependencies, optionalDependencies, version } from '../../../package.json';

export const EXPORT_ERROR = 1101;

export function registerExportHandlers(connection: MessageConnection): void {
  connection.onRequest(ExportKfp, async (params) => {
    try {
      const r = await exportKfp({
        file: params.file,
        out: params.out,
        image: params.image,
        pipelineRoot: params.pipelineRoot,
        cliDir: __dirname,
        pipewise: { version, dependencies: { ...devDependencies, ...optionalDependencies, ...dependencies } },
      });
      return { out: r.out, dockerfile: r.dockerfile, dockerignore: r.dockerignore, image: r.image, cli: r.cli, steps: Object.keys((r.spec.root as { dag: { tasks: object } }).dag.tasks).length };
    } catch (e) {
      if (e instanceof SpecError) throw new ResponseError(EXPORT_ERROR, `the pipeline has errors:\n${e.message}`);
      if (e instanceof PipewiseError) throw new ResponseError(EXPORT_ERROR, e.describe());
      throw e;
    }
  });
}
