/**
 * NumPy's legacy `RandomState(seed)` (Mersenne Twister MT19937) for the two draws scikit-learn's
 * `permutation_importance` makes: `randint(2**31)` and `shuffle` of an index array. With it a seed
 * in an Evaluator's `feature_importance` means what `random_state` means to scikit-learn: the same
 * row permutations, so a data scientist can reproduce the importances in Python exactly
 * (test/unit/evaluation-importance.test.ts checks it against NumPy and scikit-learn).
 */

const N = 624;
const M = 397;

export class RandomState {
  private readonly mt = new Uint32Array(N);
  private index = N;

  /** `np.random.RandomState(seed)` for an integer seed in [0, 2³²): MT19937's `init_genrand`. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`a seed must be an integer in [0, 2^32), not ${seed}`);
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = (this.mt[i - 1] as number) ^ ((this.mt[i - 1] as number) >>> 30);
      // 1812433253 × prev + i modulo 2³², without losing bits to float64.
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next 32-bit output (`genrand_int32`). */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = ((mt[k] as number) & 0x80000000) | ((mt[(k + 1) % N] as number) & 0x7fffffff);
      mt[k] = ((mt[(k + M) % N] as number) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.index = 0;
  }

  /** A uniform integer in [0, max] by NumPy's masked rejection (`random_interval`), max < 2³². */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }

  /** `randint(high)` for 0 < high ≤ 2³² (NumPy draws it with the same masked rejection). */
  randint(high: number): number {
    return this.interval(high - 1);
  }

  /** `shuffle(a)` in place: Fisher–Yates from the end, as NumPy's legacy shuffle of a 1-D array. */
  shuffle(a: Int32Array | number[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = a[i] as number;
      a[i] = a[j] as number;
      a[j] = t;
    }
  }
}
