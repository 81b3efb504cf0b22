/**
 * Artifact types, as TFX's standard artifacts name them. An artifact is a folder (its `uri`)
 * written once, atomically, by one execution of one stage; what is inside is fixed per type by
 * the artifact contract (docs/ARCHITECTURE.md, "Contracts") and documented in `ARTIFACT_LAYOUT`.
 */
export const ARTIFACT_TYPES = [
  'Examples',
  'ExampleStatistics',
  'Schema',
  'ExampleAnomalies',
  'TransformGraph',
  'Model',
  'HyperParameters',
  'ModelEvaluation',
  'ModelBlessing',
  'InfraBlessing',
  'PushedModel',
  'InferenceResult',
] as const;

export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

/** What lies inside an artifact folder of each type (relative paths). */
export const ARTIFACT_LAYOUT: Record<ArtifactType, string> = {
  Examples: 'Split-<split>/data.parquet, one folder per split',
  ExampleStatistics: 'statistics.json (TFDV DatasetFeatureStatisticsList, one dataset per split, dataset.name = split)',
  Schema: 'schema.json (TFMD Schema), schema.yaml',
  ExampleAnomalies: 'anomalies.json (TFMD Anomalies; one per split in anomalies.json#splits when several)',
  TransformGraph: 'transform.json (the fitted analyzers and the feature spec)',
  Model: 'model/model.json + weights (TF.js layers format), transform.json, signature.json (an imported ONNX model: model/model.onnx, signature.json with modelFormat onnx)',
  HyperParameters: 'best_hyperparameters.json, trials.json',
  ModelEvaluation: 'metrics.json ({ slices: [{ slice, metrics }], blessed }), predictions.json, feature_importance.json (permutation importance)',
  ModelBlessing: 'BLESSED or NOT_BLESSED (empty file)',
  InfraBlessing: 'INFRA_BLESSED or INFRA_NOT_BLESSED (empty file)',
  PushedModel: 'pushed.json (destination and version); the model itself is copied to destination/<version>/',
  InferenceResult: 'predictions.parquet',
};

/** An artifact as the engine and its clients see it. */
export interface ArtifactRef {
  /** Stable id: `<stage>/<executionId>/<output>`. */
  readonly id: string;
  readonly type: ArtifactType;
  /** Absolute path of the artifact's folder. */
  readonly uri: string;
  readonly stage: string;
  readonly output: string;
  readonly executionId: string;
  /** Hash of the artifact's content, used in downstream cache keys. */
  readonly fingerprint: string;
  /** Small facts the producer recorded (split names, row counts, blessed, backend …). */
  readonly properties: Readonly<Record<string, unknown>>;
}
