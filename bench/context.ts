/** What every section of the bench shares: options, paths, the log. */
export interface BenchContext {
  readonly quick: boolean;
  /** Timed runs per figure (after one warm-up). */
  readonly runs: number;
  /** The oracle python3 (PIPEWISE_PYTHON, else the system one) when present (Debian's pandas and scikit-learn); undefined otherwise. */
  readonly python: string | undefined;
  readonly repoRoot: string;
  /** data/flights-3m.parquet in PIPEWISE_SHARED_DIR, else in ../shared beside the repository. */
  readonly flights: string;
  /** bench/.cache: generated data, kept between runs, ignored by git. */
  readonly cacheDir: string;
  readonly log: (message: string) => void;
  /** Peak RSS of the pandas process, for the memory section. */
  pandasPeakMiB?: number;
  sklearnPeakMiB?: number;
}
