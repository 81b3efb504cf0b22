/**
 * The shared reference files the tests read (the large data sets, KFP's protos): the folder named by
 * PIPEWISE_SHARED_DIR, else `../shared` beside the repository, which is how CI lays them out.
 */
import path from 'node:path';

export const repositoryRoot = path.resolve(__dirname, '..');

export function sharedDir(...parts: string[]): string {
  return path.resolve(process.env.PIPEWISE_SHARED_DIR ?? path.join(repositoryRoot, '..', 'shared'), ...parts);
}
