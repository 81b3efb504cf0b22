/**
 * A decision forest in the page: a web push of a tree model carries YDF's own wasm build
 * (`ydf/training.js`, `ydf/training.wasm`, the `ydf-training` package the Trainer trained with) and
 * jszip (`ydf/jszip.min.js`, which YDF's model loader needs as a global), all from the pushed
 * folder, so the page predicts with the very library the server uses and fetches nothing remote.
 * Both are classic scripts (they define the globals `YDFTraining` and `JSZip`), loaded by a script
 * element: a page's `script-src 'self'` allows them, and compiling the wasm needs
 * `'wasm-unsafe-eval'` (the generated index.html grants it for tree models only).
 * Rows go through the same transform, the same vector → columns step (treeColumns.ts) and the same
 * output decoding as `pipewise serve`.
 */
import { decodePredictions } from '../engine/model/decodePredictions';
import type { ModelSignature, Prediction } from '../engine/model/signature';
import { TREE_MODEL_INFO, TREE_MODEL_ZIP, YDF_WEB_DIR, toSignatureOrder, treeColumns, type TreeModelInfo, type YdfColumns } from '../engine/model/treeColumns';
import type { RawRow } from '../engine/transform/applyTransform';
import { applyTransform } from '../engine/transform/applyTransform';
import type { TransformSpec } from '../engine/transform/transformSpec';
import { errorMessage } from '../core/errors';

/** The part of a loaded YDF model the page uses. */
interface YdfWebModel {
  predict(columns: YdfColumns): ArrayLike<number>;
  unload(): void;
}

interface YdfWebLibrary {
  loadModelFromZipBlob(blob: Blob): Promise<YdfWebModel>;
}

type YdfFactory = (options: { locateFile: (file: string) => string; print: (line: string) => void; printErr: (line: string) => void }) => Promise<YdfWebLibrary>;

/** Loads a classic script of the pushed folder once per page. */
const scripts = new Map<string, Promise<void>>();
function loadScript(url: URL): Promise<void> {
  const known = scripts.get(url.href);
  if (known) return known;
  const loading = new Promise<void>((resolve, reject) => {
    if (typeof document === 'undefined') {
      reject(new Error(`a tree model needs a page to load ${url.href} (no document here)`));
      return;
    }
    const el = document.createElement('script');
    el.src = url.href;
    el.async = true;
    el.onload = (): void => resolve();
    el.onerror = (): void => reject(new Error(`cannot load ${url.href} (is it in the pushed folder, and does the page's Content-Security-Policy allow scripts from 'self'?)`));
    document.head.append(el);
  });
  scripts.set(url.href, loading);
  loading.catch(() => scripts.delete(url.href));
  return loading;
}

const libraries = new Map<string, Promise<YdfWebLibrary>>();

/** YDF's wasm library from the folder `base`, started once per folder. */
function ydfLibrary(base: URL): Promise<YdfWebLibrary> {
  const dir = new URL(`${YDF_WEB_DIR}/`, base);
  let lib = libraries.get(dir.href);
  if (!lib) {
    lib = (async () => {
      await loadScript(new URL('jszip.min.js', dir));
      await loadScript(new URL('training.js', dir));
      const factory = (globalThis as { YDFTraining?: YdfFactory }).YDFTraining;
      if (typeof factory !== 'function') throw new Error(`${dir.href}training.js did not define YDFTraining`);
      try {
        // Its log lines (model loading) stay out of the page's console.
        return await factory({ locateFile: (file) => new URL(file, dir).href, print: () => undefined, printErr: () => undefined });
      } catch (e) {
        throw new Error(`cannot start Yggdrasil Decision Forests' wasm from ${dir.href} (a Content-Security-Policy must allow 'wasm-unsafe-eval'): ${errorMessage(e)}`);
      }
    })();
    libraries.set(dir.href, lib);
    lib.catch(() => libraries.delete(dir.href));
  }
  return lib;
}

async function fetchOk(url: URL, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${what} from ${url.href}: ${errorMessage(e)}`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${what} from ${url.href}: HTTP ${res.status}`);
  return res;
}

/** The pushed tree model of folder `base`: rows (already checked) → predictions. */
export async function loadTreePredictor(base: URL, signature: ModelSignature, transform: TransformSpec): Promise<{ predict(rows: readonly RawRow[]): Prediction[]; dispose(): void }> {
  const [info, zip, ydf] = await Promise.all([
    fetchOk(new URL(`model/${TREE_MODEL_INFO}`, base), TREE_MODEL_INFO).then((r) => r.json() as Promise<TreeModelInfo>),
    fetchOk(new URL(`model/${TREE_MODEL_ZIP}`, base), TREE_MODEL_ZIP).then((r) => r.blob()),
    ydfLibrary(base),
  ]);
  let model: YdfWebModel | undefined;
  try {
    model = await ydf.loadModelFromZipBlob(zip);
  } catch (e) {
    throw new Error(`Yggdrasil Decision Forests cannot load ${new URL(`model/${TREE_MODEL_ZIP}`, base).href}: ${errorMessage(e)}`);
  }
  return {
    predict(rows: readonly RawRow[]): Prediction[] {
      if (!model) throw new Error('the tree model was disposed');
      const x = applyTransform(transform, rows);
      let raw: ArrayLike<number>;
      try {
        raw = model.predict(treeColumns(transform, x, rows.length));
      } catch (e) {
        throw new Error(`Yggdrasil Decision Forests failed to predict: ${errorMessage(e)}`);
      }
      const values = toSignatureOrder(signature.task, raw, rows.length, signature.classes, info.ydfClasses);
      const units = signature.task === 'multiclass' ? (signature.classes?.length ?? 1) : 1;
      return decodePredictions(signature, values, units, rows.length);
    },
    dispose(): void {
      model?.unload();
      model = undefined;
    },
  };
}
