/**
 * `transform.json`: a fitted transform, as the Transform component writes it into its
 * TransformGraph artifact and the Trainer copies it into the Model artifact. Everything needed to
 * turn a raw row into the model's input vector is here, so training, evaluation, bulk inference and
 * serving apply the very same transform (no training/serving skew).
 */

export const TRANSFORM_FORMAT_VERSION = 1;

export type RawType = 'number' | 'string';

/** One fitted feature. `fill` is the raw value a missing (null/NaN) input takes. */
export type FittedFeature =
  | { readonly name: string; readonly rawType: 'number'; readonly kind: 'zscore'; readonly mean: number; readonly std: number; readonly fill: number }
  | { readonly name: string; readonly rawType: 'number'; readonly kind: 'minmax'; readonly min: number; readonly max: number; readonly fill: number }
  | { readonly name: string; readonly rawType: 'number'; readonly kind: 'identity'; readonly fill: number }
  /** One-hot over `boundaries.length + 1` buckets; bucket i holds boundaries[i-1] <= x < boundaries[i]. */
  | { readonly name: string; readonly rawType: 'number'; readonly kind: 'bucketize'; readonly boundaries: readonly number[]; readonly fill: number }
  /**
   * One-hot over the vocabulary (most frequent first) plus `numOovBuckets` out-of-vocabulary
   * buckets chosen by hash; a missing value is hashed as the empty string.
   */
  | { readonly name: string; readonly rawType: RawType; readonly kind: 'vocabulary'; readonly vocabulary: readonly string[]; readonly numOovBuckets: number }
  | { readonly name: string; readonly rawType: RawType; readonly kind: 'hash'; readonly buckets: number };

/** A hashed cross of raw feature values (missing = empty string), one-hot over `buckets`. */
export interface FittedCross {
  readonly name: string;
  readonly features: readonly string[];
  readonly buckets: number;
}

export interface FittedLabel {
  readonly name: string;
  readonly rawType: RawType;
  /**
   * Class values (as strings) in class-index order, when the label can be a class: every string
   * label, and numeric labels with at most MAX_NUMERIC_CLASSES distinct integer values.
   */
  readonly classes?: readonly string[];
  /** Class → count in the train split. */
  readonly classCounts?: Readonly<Record<string, number>>;
  /** Numeric labels: mean and population std over train (regression trains on the scaled label). */
  readonly mean?: number;
  readonly std?: number;
  readonly numDistinct: number;
}

/** Where each feature's slots lie in the input vector. */
export interface VectorSlot {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** A cross: used by the wide half of a wide-and-deep model. */
  readonly wide: boolean;
}

export interface TransformSpec {
  readonly formatVersion: number;
  readonly label: FittedLabel;
  readonly features: readonly FittedFeature[];
  readonly crosses: readonly FittedCross[];
  /** Columns of the examples that are not features (the label, excluded, unsupported types). */
  readonly ignored: readonly string[];
  readonly layout: readonly VectorSlot[];
  /** Length of the model's input vector. */
  readonly width: number;
  /** Row count of the split the analyzers were fitted on. */
  readonly fittedOn: { readonly split: string; readonly rows: number };
}

/** Numeric labels with at most this many distinct integer values may be classes. */
export const MAX_NUMERIC_CLASSES = 10;

export function slotSize(f: FittedFeature): number {
  switch (f.kind) {
    case 'zscore':
    case 'minmax':
    case 'identity':
      return 1;
    case 'bucketize':
      return f.boundaries.length + 1;
    case 'vocabulary':
      return f.vocabulary.length + f.numOovBuckets;
    case 'hash':
      return f.buckets;
  }
}

/** Lays features then crosses out one after another. */
export function computeLayout(features: readonly FittedFeature[], crosses: readonly FittedCross[]): { layout: VectorSlot[]; width: number } {
  const layout: VectorSlot[] = [];
  let offset = 0;
  for (const f of features) {
    const size = slotSize(f);
    layout.push({ name: f.name, offset, size, wide: false });
    offset += size;
  }
  for (const c of crosses) {
    layout.push({ name: c.name, offset, size: c.buckets, wide: true });
    offset += c.buckets;
  }
  return { layout, width: offset };
}
