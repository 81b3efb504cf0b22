/**
 * The numbered version folders of a model base path (TensorFlow Serving's layout: `BASE/<version>/`),
 * as the Pusher, the model server and the Models view read them. File names only: no model is loaded.
 */
import { promises as fs } from 'node:fs';

/** The versions in `base` (folders named by an integer), newest first; none when `base` does not exist. */
export async function modelVersions(base: string): Promise<number[]> {
  const entries = await fs.readdir(base, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && /^\d+$/.test(e.name)).map((e) => Number(e.name)).sort((a, b) => b - a);
}
