/**
 * The steps a tree model's prediction shares between Node (treeModel.ts: training, serving) and the
 * browser (src/web: a web push predicts with YDF's wasm): model input vectors → YDF columns, and YDF's
 * outputs → the signature's layout. Pure functions with no Node imports, so the web runtime bundles
 * the very code the server runs.
 */
import type { TransformSpec } from '../transform/transformSpec';
import type { Task } from './signature';

/** YDF's columns: numbers for numerical features, strings for categorical ones. */
export type YdfColumns = Record<string, number[] | string[]>;

/** The decision-forest families (Yggdrasil Decision Forests; treeModel.ts trains them). */
export type TreeFamily = 'gradient_boosted_trees' | 'random_forest';
export const TREE_FAMILIES: readonly TreeFamily[] = ['gradient_boosted_trees', 'random_forest'];

export function isTreeFamily(name: string): name is TreeFamily {
  return (TREE_FAMILIES as readonly string[]).includes(name);
}

/** Files of a tree model inside the Model artifact's `model/` folder. */
export const TREE_MODEL_ZIP = 'ydf_model.zip';
export const TREE_MODEL_INFO = 'trees.json';

/** A web push's subfolder for YDF's browser files (pusherWeb.ts writes them, src/web/ydfWeb.ts loads them). */
export const YDF_WEB_DIR = 'ydf';

/** `model/trees.json`: what a reader needs besides YDF's own zip. */
export interface TreeModelInfo {
  readonly format: 'ydf';
  readonly family: TreeFamily;
  readonly numTrees?: number;
  /** YDF's class order (getLabelClasses()), which is not the signature's: reordered on predict. */
  readonly ydfClasses?: readonly string[];
  /** Set when the fit rows were more than YDF's heap holds: the rows of the seeded sample it trained on, of `fitRows`. */
  readonly trainedRows?: number;
  readonly fitRows?: number;
}

/** One scalar column per scaled feature, an index column per one-hot feature (treeModel.ts's header says why). */
function columnKinds(spec: TransformSpec): { name: string; offset: number; size: number; categorical: boolean; scalar: boolean }[] {
  const kindOf = new Map(spec.features.map((f) => [f.name, f.kind] as const));
  return spec.layout.map((slot) => {
    const kind = kindOf.get(slot.name);
    const scalar = kind === 'zscore' || kind === 'minmax' || kind === 'identity';
    return { name: slot.name, offset: slot.offset, size: slot.size, scalar, categorical: !scalar && kind !== 'bucketize' };
  });
}

/** Model input vectors (n × spec.width, row-major) → YDF columns, the one step training and serving share. */
export function treeColumns(spec: TransformSpec, x: Float32Array, n: number): YdfColumns {
  const cols: YdfColumns = {};
  for (const c of columnKinds(spec)) {
    if (c.categorical) {
      const values: string[] = new Array<string>(n);
      for (let i = 0; i < n; i++) values[i] = String(hotIndex(x, i * spec.width + c.offset, c.size));
      cols[c.name] = values;
    } else {
      const values: number[] = new Array<number>(n);
      for (let i = 0; i < n; i++) values[i] = c.scalar ? (x[i * spec.width + c.offset] as number) : hotIndex(x, i * spec.width + c.offset, c.size);
      cols[c.name] = values;
    }
  }
  return cols;
}

function hotIndex(x: Float32Array, start: number, size: number): number {
  for (let k = 0; k < size; k++) if ((x[start + k] as number) !== 0) return k;
  return 0;
}

/** YDF's per-row outputs → the signature's layout: binary P(classes[1]), multiclass in `classes` order, regression the value. */
export function toSignatureOrder(task: Task, raw: ArrayLike<number>, n: number, classes: readonly string[] | undefined, ydfClasses: readonly string[] | undefined): Float32Array {
  if (task === 'regression') return Float32Array.from({ length: n }, (_, i) => raw[i] as number);
  const ours = classes ?? [];
  const theirs = ydfClasses ?? [];
  if (task === 'binary') {
    // YDF gives the probability of its second class.
    const flip = theirs[1] !== ours[1];
    return Float32Array.from({ length: n }, (_, i) => (flip ? 1 - (raw[i] as number) : (raw[i] as number)));
  }
  const k = ours.length;
  const column = ours.map((c) => theirs.indexOf(c));
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = (column[c] as number) >= 0 ? (raw[i * theirs.length + (column[c] as number)] as number) : 0;
  return out;
}

