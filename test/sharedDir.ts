/**
 * The shared reference files the tests read (the large data sets, KFP's protos): the folder named by
 * PIPEWISE_SHARED_DIR, else `../shared` beside the repository, which is how CI lays them out. The
 * repository is found from this module's folder upwards, so the same function serves tests run by
 * tsx from test/ and host suites bundled into out/test/host/suite/.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

function findRepositoryRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pipewise') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Pipewise repository above ${from}`);
  }
}

export const repositoryRoot = findRepositoryRoot(__dirname);

export function sharedDir(...parts: string[]): string {
  return path.resolve(process.env.PIPEWISE_SHARED_DIR ?? path.join(repositoryRoot, '..', 'shared'), ...parts);
}
